// The `pattern` engine of the generated schema validators (scripts/compile-schemas.mjs): RE2,
// linear, so that a hostile value cannot make a schema pattern backtrack (Gateway API's header
// value pattern would on JavaScript's engine).

import { re2Find, re2Problem } from "../re2.js";

/** @public imported by the generated schema-validators.js (an entry in knip.json: a fresh clone has no generated file) */
export function re2Pattern(pattern: string): { test(text: string): boolean } {
  // Compiled on first use: the validators module creates every pattern when it is imported, and
  // most runs never meet most of them (compiling them all cost every command ~70 ms at start-up).
  let test: ((text: string) => boolean) | undefined;
  return {
    test(text) {
      // The rare schema pattern RE2 cannot read is the CRD's own, never a user's.
      test ??=
        re2Problem(pattern) === undefined
          ? (t) => re2Find(pattern, t) === true
          : RegExp.prototype.test.bind(new RegExp(pattern));
      return test(text);
    },
  };
}
