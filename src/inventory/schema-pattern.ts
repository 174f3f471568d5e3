// The `pattern` engine of the generated schema validators (scripts/compile-schemas.mjs): RE2,
// linear, so that a hostile value cannot make a schema pattern backtrack (Gateway API's header
// value pattern would on JavaScript's engine).

import { re2Find } from "../re2.js";

/** @public imported by the generated schema-validators.js, which knip does not read */
export function re2Pattern(pattern: string): { test(text: string): boolean } {
  // The rare schema pattern RE2 cannot read is the CRD's own, never a user's.
  if (re2Find(pattern, "") === undefined) return new RegExp(pattern);
  return { test: (text) => re2Find(pattern, text) === true };
}
