// Unit tests write backups, journals, logs and rendered files into temporary directories of
// their own: one per test, hundreds per run. The unit project's workers get a TMPDIR of the run's
// (vitest.config.ts), which os.tmpdir() reads: made here, and removed when the run ends. Only that
// project's: the e2e tests keep the system's shorter paths (a tmux pane's lines must not wrap).
import { mkdirSync, rmSync } from "node:fs";
import type { TestProject } from "vitest/node";

export default function setup(project: TestProject): () => void {
  const dir = project.config.env?.TMPDIR;
  if (!dir) throw new Error("vitest.config.ts gives the unit project no TMPDIR");
  mkdirSync(dir, { recursive: true });
  return () => rmSync(dir, { recursive: true, force: true });
}
