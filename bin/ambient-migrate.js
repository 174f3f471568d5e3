#!/usr/bin/env node
// Entry point for `ambient-migrate` and the kubectl plugin `kubectl ambient-migrate`.

const [major] = process.versions.node.split(".").map(Number);
if (major < 22) {
  process.stderr.write(
    `error: ambient-migrate needs Node.js 22 or newer (this is ${process.version})\n` +
      "hint: run it through npm (npm run ... uses the pinned Node 24), or install a current Node.js\n",
  );
  process.exit(1);
}
// process.getBuiltinModule (Node 22.3+) gives a built-in without the ES module facade that
// `import` builds (reading every export, some of which load more modules): ~10 ms of a start-up.
const builtin = async (name) => process.getBuiltinModule?.(name) ?? (await import(name));
// `--version` alone is answered from package.json without loading the CLI (start-up matters for
// scripts and shell prompts that ask it); the CLI prints the same for any other use of the flag.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  const { readFileSync } = await builtin("node:fs");
  process.stdout.write(
    `${JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version}\n`,
  );
  process.exit(0);
}
// The reader of stdout went away (`ambient-migrate ... | head`): end there, quietly, with the
// status of a Unix tool that SIGPIPE ended (128 + 13), not with Node's stack trace. A migration or
// rollback under way listens too (src/run/session.ts): it finishes its current change first.
process.stdout.on("error", (err) => {
  if (err.code !== "EPIPE") throw err;
  if (process.stdout.listenerCount("error") === 1) process.exit(141);
});
// V8's compiled code is cached on disk (in the OS's temp dir) and reused by the next run.
(await builtin("node:module")).enableCompileCache?.();
const { run } = await import("../dist/ambient-migrate.js");
process.exitCode = await run(argv);
