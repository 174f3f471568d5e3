// Builds the CLI with esbuild into dist/ambient-migrate.js: a few ES modules to read and compile
// at start-up instead of a graph of hundreds. The entry holds commander and every command's
// definition (flags and help); what each command does (src/cli/actions/) is imported when it runs,
// and esbuild splits it, with what it alone needs, into dist/chunks/. So `assess -f` never reads
// the analysis, translation, observability or run code, and the cluster client
// (@kubernetes/client-node and its dependencies, several MB) is read only when a command
// reaches a cluster. `--version` is answered in bin/ before any of it loads.
import { readFileSync, rmSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
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

// `import ... from "node:fs"` makes Node build an ES module facade of the built-in: it reads
// every export, and getters such as fs.promises, process.report or util.diff load modules of
// their own (~12 ms of each start-up for the built-ins the CLI imports, more than reading its
// own commands). require() (the banner's) gives the module itself, and each export is read where
// it is imported. child_process (with net, dgram and streams, ~8 ms) only commander imports, for
// executable subcommands this CLI does not have: it is loaded when first used.
const builtins = new Set(builtinModules.flatMap((m) => (m.startsWith("node:") ? [m] : [m, `node:${m}`])));
const lazyBuiltins = new Set(["node:child_process"]);
const builtinsWithoutFacades = {
  name: "builtins-without-facades",
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) =>
      args.kind === "import-statement" && builtins.has(args.path)
        ? { path: args.path.startsWith("node:") ? args.path : `node:${args.path}`, namespace: "builtin" }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "builtin" }, ({ path }) => {
      const name = JSON.stringify(path);
      if (lazyBuiltins.has(path))
        return {
          contents: `export default new Proxy({}, { get: (_, key) => require(${name})[key] });`,
        };
      // Each export a pure read, so that esbuild drops those nothing imports.
      const keys = Object.keys(createRequire(import.meta.url)(path)).filter((k) =>
        /^[A-Za-z_$][\w$]*$/.test(k),
      );
      return {
        contents: [
          `const builtin = require(${name});`,
          "const read = (key) => builtin[key];",
          "export default builtin;",
          ...keys.map((k) => {
            const local = `${path.slice(5).replace(/\W/g, "_")}_${k}`;
            return `const ${local} = /* @__PURE__ */ read(${JSON.stringify(k)}); export { ${local} as ${k} };`;
          }),
        ].join("\n"),
      };
    });
  },
};

// What client-node's KubeConfig imports for the cases the tool's reads never meet: undici (its
// fetch, which the transport does not use), proxies (socks, hpagent) and the OIDC, GCP and Azure
// auth providers' libraries. Loading them cost every live command ~200 ms. Each is built into a
// file of its own, dist/chunks/lazy-NAME.cjs, and the chunk that imports it holds a facade that
// require()s that file on first use: a kubeconfig with a proxy-url or an oidc user still gets
// the real library, only later. Bundled into the chunk instead, their 1 MB of code was read,
// decoded and compiled at every live command although never run (~25 ms).
const LAZY = ["undici", "socks-proxy-agent", "socks", "hpagent", "openid-client", "jsonpath-plus"];
const lazyFile = (name) => `lazy-${name}.cjs`;
const requireFromClientNode = createRequire(resolve(clientNode, "config.js"));
const clientNodeLazyDependencies = {
  name: "client-node-lazy-dependencies",
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${LAZY.join("|")})$`) }, (args) =>
      args.importer.startsWith(clientNode) ? { path: args.path, namespace: "lazy" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "lazy" }, (args) => {
      const names = Object.keys(requireFromClientNode(args.path)).filter((n) => n !== "default");
      const getters = names.map(
        (n) =>
          `Object.defineProperty(exports, ${JSON.stringify(n)}, { enumerable: true, get: () => load()[${JSON.stringify(n)}] });`,
      );
      return {
        contents: [
          "let real;",
          // Resolved from the chunk that holds this facade (the banner's require): dist/chunks/.
          `const load = () => (real ??= require(${JSON.stringify(`./${lazyFile(args.path)}`)}));`,
          ...getters,
        ].join("\n"),
        loader: "js",
      };
    });
    b.onResolve({ filter: /^\.\/lazy-[\w-]+\.cjs$/ }, (args) => ({ path: args.path, external: true }));
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
  // Fewer bytes to read, decode and hash at each start-up (a third less); names are kept, so
  // that an internal error's stack still names its functions.
  minifyWhitespace: true,
  minifySyntax: true,
  // Dependencies written as CommonJS require() Node's built-ins; an ES module has no require.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
  },
  // Optional native add-ons of ws and debug, required inside try/catch: left out on purpose.
  external: ["bufferutil", "utf-8-validate", "supports-color"],
  plugins: [clientNodeLazyDependencies, clientNodeWithoutSideEffects, builtinsWithoutFacades],
  // All of it ASCII: one non-ASCII character (a comment's dash) makes V8 decode a whole file
  // as UTF-16.
  legalComments: "none",
  charset: "ascii",
  logLevel: "warning",
});

// Each lazy dependency as one CommonJS file, resolved as client-node's require() would resolve it.
await build({
  entryPoints: Object.fromEntries(
    LAZY.map((name) => [lazyFile(name).replace(/\.cjs$/, ""), requireFromClientNode.resolve(name)]),
  ),
  outdir: "dist/chunks",
  outExtension: { ".js": ".cjs" },
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node22",
  minifyWhitespace: true,
  minifySyntax: true,
  external: ["bufferutil", "utf-8-validate", "supports-color"],
  legalComments: "none",
  charset: "ascii",
  logLevel: "warning",
});
// The facades name their file relative to dist/chunks/: one in the entry would look in dist/.
if (readFileSync("dist/ambient-migrate.js", "utf8").includes("lazy-")) {
  throw new Error("a lazy dependency's facade landed in dist/ambient-migrate.js, not in dist/chunks/");
}
