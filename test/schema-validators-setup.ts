// The schema validators are generated from src/inventory/schemas.json (not kept in git):
// compiled before the tests import src/, as `npm run build` does before bundling.
// @ts-expect-error: a plain ES module script without types
import { compileSchemas } from "../scripts/compile-schemas.mjs";

export default async function setup(): Promise<void> {
  await compileSchemas();
}
