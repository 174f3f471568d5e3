// The completion scripts, run by the real shells: bash calls the function as `complete -F`
// does; zsh loads the script through bashcompinit and calls it with ksharrays on, as its
// bash layer does.

import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../assess/helpers.js";

const dir = mkdtempSync(join(tmpdir(), "am-completion-"));

async function script(shell: "bash" | "zsh"): Promise<string> {
  const r = await runCli(["completion", shell]);
  expect(r.code).toBe(0);
  const file = join(dir, `completion.${shell}`);
  writeFileSync(file, r.stdout);
  return file;
}

/** What the shell offers for the words typed so far (the last one is being completed). */
function complete(shell: "bash" | "zsh", file: string, words: string[]): string[] {
  const array = words.map((w) => `'${w}'`).join(" ");
  const body =
    shell === "bash"
      ? `source ${file}; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _ambient_migrate; echo "\${COMPREPLY[*]}"`
      : `source ${file}; setopt ksharrays; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _ambient_migrate; echo "\${COMPREPLY[*]}"`;
  // No kubectl on PATH here: namespaces complete to nothing rather than fail.
  const out = execFileSync(shell, ["-c", body], {
    encoding: "utf8",
    env: { PATH: "/usr/bin:/bin", HOME: dir },
  });
  const offered = out.trim().split(/\s+/).filter(Boolean);
  // bash's compgen filters by the word typed; zsh's compgen (bashcompinit) gives every candidate
  // and zsh's compadd keeps those that start with it.
  const typed = words.at(-1) ?? "";
  return shell === "zsh" ? offered.filter((w) => w.startsWith(typed)) : offered;
}

describe.each(["bash", "zsh"] as const)("completion %s", (shell) => {
  it("completes subcommands, their flags and flag values", async () => {
    const file = await script(shell);
    expect(complete(shell, file, ["ambient-migrate", "mi"])).toEqual(["migrate"]);
    expect(complete(shell, file, ["ambient-migrate", "r"]).sort()).toEqual(["report", "rollback"]);
    expect(complete(shell, file, ["ambient-migrate", "migrate", "--pa"]).sort()).toEqual([
      "--parallel",
      "--patch-forced-injection",
    ]);
    // A flag of another command is not offered.
    expect(complete(shell, file, ["ambient-migrate", "assess", "--pa"])).toEqual([]);
    expect(complete(shell, file, ["ambient-migrate", "report", "-o", ""]).sort()).toEqual(
      ["html", "json", "table", "yaml"].sort(),
    );
    expect(complete(shell, file, ["ambient-migrate", "migrate", "--dry-run", "s"])).toEqual(["server"]);
    expect(complete(shell, file, ["ambient-migrate", "completion", ""]).sort()).toEqual(["bash", "zsh"]);
  }, 60_000);
});

it("completion without a shell is a usage error", async () => {
  expect((await runCli(["completion", "fish"])).code).toBe(2);
});
