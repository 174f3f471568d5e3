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
const { run } = await import("../dist/cli/main.js");
process.exitCode = await run(process.argv.slice(2));
