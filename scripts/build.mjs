// Builds the CLI with esbuild into dist/ambient-migrate.js: one ES module to read and compile
// at start-up instead of a graph of hundreds. What only a live cluster needs
// (@kubernetes/client-node and its dependencies, several MB) sits behind dynamic import()s and
// is split into dist/chunks/, read only when a command reaches a cluster: `--version` and `-f`
// runs never parse it.
import { rmSync } from "node:fs";
import { build } from "esbuild";

rmSync("dist", { recursive: true, force: true });
await build({
  entryPoints: { "ambient-migrate": "src/cli/main.ts" },
  outdir: "dist",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node22",
  // Dependencies written as CommonJS require() Node's built-ins; an ES module has no require.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
  },
  // Optional native add-ons of ws and debug, required inside try/catch: left out on purpose.
  external: ["bufferutil", "utf-8-validate", "supports-color"],
  logLevel: "warning",
});
