// successCondition / failureCondition: a small boolean expression on `result`, the value of one
// sample (Argo Rollouts' `result[0]` is accepted as the same thing). Parsed by jsep and checked
// against a short whitelist when the analysis is loaded, so a typo fails before any change.

import jsep from "jsep";

export type Condition = (result: number) => boolean;

const COMPARISON = new Set(["<", "<=", ">", ">=", "==", "!="]);
const ARITHMETIC = new Set(["+", "-", "*", "/"]);
const LOGICAL = new Set(["&&", "||"]);
const FUNCTIONS: Record<string, (x: number) => number | boolean> = {
  isNaN: Number.isNaN,
  isInf: (x) => x === Number.POSITIVE_INFINITY || x === Number.NEGATIVE_INFINITY,
  abs: Math.abs,
};

/** Thrown for a condition outside the supported language; the message names what is wrong. */
export class ConditionError extends Error {}

type Value = number | boolean;
type Node = (result: number) => Value;

function compileNode(node: jsep.Expression): Node {
  switch (node.type) {
    case "Literal": {
      const { value } = node as jsep.Literal;
      if (typeof value !== "number" && typeof value !== "boolean")
        throw new ConditionError(
          `only numbers and true/false are allowed, not ${(node as jsep.Literal).raw}`,
        );
      return () => value;
    }
    case "Identifier": {
      const { name } = node as jsep.Identifier;
      if (name === "result") return (r) => r;
      if (name === "true" || name === "false") return () => name === "true";
      throw new ConditionError(`unknown name "${name}": the value is called result`);
    }
    case "MemberExpression": {
      const m = node as jsep.MemberExpression;
      const index = m.property as jsep.Literal;
      if (
        (m.object as jsep.Identifier).name === "result" &&
        m.computed &&
        index.type === "Literal" &&
        index.value === 0
      )
        return (r) => r;
      throw new ConditionError("only result[0] (Argo Rollouts' spelling of result) may be indexed");
    }
    case "UnaryExpression": {
      const u = node as jsep.UnaryExpression;
      const arg = compileNode(u.argument);
      if (u.operator === "!") return (r) => !arg(r);
      if (u.operator === "-") return (r) => -Number(arg(r));
      throw new ConditionError(`operator ${u.operator} is not supported`);
    }
    case "BinaryExpression":
    case "LogicalExpression": {
      const b = node as jsep.BinaryExpression;
      const left = compileNode(b.left);
      const right = compileNode(b.right);
      const op = b.operator;
      if (LOGICAL.has(op))
        return op === "&&"
          ? (r) => Boolean(left(r)) && Boolean(right(r))
          : (r) => Boolean(left(r)) || Boolean(right(r));
      if (COMPARISON.has(op) || ARITHMETIC.has(op))
        return (r) => binary(op, Number(left(r)), Number(right(r)));
      throw new ConditionError(`operator ${op} is not supported (use < <= > >= == != && || + - * /)`);
    }
    case "CallExpression": {
      const c = node as jsep.CallExpression;
      const name = (c.callee as jsep.Identifier).name;
      const fn = c.callee.type === "Identifier" ? FUNCTIONS[name] : undefined;
      if (!fn || c.arguments.length !== 1)
        throw new ConditionError(
          `unknown function ${String(name)}: one argument to ${Object.keys(FUNCTIONS).join(", ")}`,
        );
      const [first] = c.arguments;
      const arg = compileNode(first as jsep.Expression);
      return (r) => fn(Number(arg(r)));
    }
    default:
      throw new ConditionError(`${node.type} is not supported in a condition`);
  }
}

function binary(op: string, a: number, b: number): Value {
  switch (op) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "==":
      return a === b;
    case "!=":
      return a !== b;
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    default:
      return a / b;
  }
}

/** Compiles a condition; throws ConditionError with the reason when it is not in the language. */
export function compileCondition(text: string): Condition {
  let tree: jsep.Expression;
  try {
    tree = jsep(text);
  } catch (err) {
    throw new ConditionError((err as Error).message);
  }
  const node = compileNode(tree);
  return (result) => Boolean(node(result));
}
