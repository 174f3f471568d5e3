// migrate with an analysis whose onFailure is rollback: when the analysis fails after a step, the
// namespace is rolled back to the state before the migration (the lock is released first, as
// rollback takes it), and the same analysis runs again on the state rolled back to. The journal's
// failure says why, and that the rollback happened; the exit code stays 9.

import { AnalysisFailed } from "../analysis/gate.js";
import { BEFORE_MIGRATION } from "../analysis/model.js";
import type { ClusterPort } from "../cluster/port.js";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import type { NamespacePlan } from "../plan/model.js";
import { migrateNamespace, type RunOptions, type RunResult } from "./execute.js";
import { readJournal, writeJournal } from "./journal.js";
import { rollbackNamespace } from "./rollback.js";

export async function migrateGated(
  port: ClusterPort,
  plan: NamespacePlan,
  options: RunOptions,
): Promise<RunResult> {
  const gate = options.analysis;
  try {
    return await migrateNamespace(port, plan, options);
  } catch (err) {
    if (
      !gate ||
      !(err instanceof AnalysisFailed) ||
      err.result.phase !== "failure" ||
      gate.analysis.onFailure !== "rollback"
    )
      throw err;
    const ns = plan.namespace;
    options.progress(
      `${ns}: ${err.message}: rolling back to the state before the migration (onFailure: rollback)`,
    );
    await rollbackNamespace(port, ns, {
      toStep: 0,
      overwrite: false,
      timeoutMs: options.timeoutMs,
      holder: options.holder,
      signal: options.signal,
      out: options.out,
      progress: options.progress,
      ...(options.ztunnelIntervalMs !== undefined ? { ztunnelIntervalMs: options.ztunnelIntervalMs } : {}),
    });
    const journal = await readJournal(port, ns);
    const record = journal?.analysis;
    let after = "not run (no analysis record in the journal)";
    if (journal && record) {
      const result = await gate.run(BEFORE_MIGRATION, record, options.signal);
      after =
        result.phase === "success" ? "passed" : `${result.phase}: ${record.results.at(-1)?.verdict ?? ""}`;
      journal.failure = `${err.message}; rolled back automatically to the state before the migration (onFailure: rollback); analysis after the rollback: ${after}`;
      await writeJournal(port, journal);
    }
    throw new AmbientMigrateError(
      `${ns}: ${err.message}; rolled back automatically to the state before the migration; analysis after the rollback: ${after}`,
      ExitCode.verificationFailed,
      `the journal (kubectl -n ${ns} get configmap ambient-migrate-journal) keeps every measurement; fix the cause, then run migrate again`,
    );
  }
}
