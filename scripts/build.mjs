// Builds the CLI with esbuild into dist/ambient-migrate.js: one ES module to read and compile
// at start-up instead of a graph of hundreds. What only a live cluster needs
// (@kubernetes/client-node and its dependencies, several MB) sits behind dynamic import()s and
// is split into dist/chunks/, read only when a command reaches a cluster: `--version` and `-f`
// runs never parse it.
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { build } from "esbuild";
import { compileSchemas } from "./compile-schemas.mjs";

// @kubernetes/client-node's index re-exports its whole generated API (~4 MB of classes) and
// does not declare itself free of side effects, so esbuild would keep all of it. Its modules
// only define things (the one exception, a File polyfill for Node 18, is moot on Node 22+):
// declared side-effect free, only what the tool imports is bundled.
const clientNode = resolve("node_modules/@kubernetes/client-node/dist");
const clientNodeWithoutSideEffects = {
  name: "client-node-without-side-effects",
  setup(b) {
    b.onResolve({ filter: /^@kubernetes\/client-node$/ }, () => ({
      path: resolve(clientNode, "index.js"),
      sideEffects: false,
    }));
    b.onResolve({ filter: /^\./ }, (args) =>
      args.importer.startsWith(clientNode)
        ? { path: resolve(args.resolveDir, args.path), sideEffects: false }
        : undefined,
    );
  },
};

await compileSchemas();
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
  plugins: [clientNodeWithoutSideEffects],
  logLevel: "warning",
});
