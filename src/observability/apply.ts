// `observability --apply`: the report's rewritten dashboard ConfigMaps and PrometheusRules, and
// its generated PodMonitors, as server-side applies to the live cluster. Planning is pure; the
// run backs up every object it will change (written, read back, verified) before its first apply.

import { isDeepStrictEqual } from "node:util";
import { parse } from "yaml";
import { type BackupHeader, collectNamed, writeVerifiedBackup } from "../backup/backup.js";
import type { ClusterPort } from "../cluster/port.js";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import { describeRef, type ObjectRef, objectKey, refOf } from "../inventory/identity.js";
import { K } from "../inventory/kinds.js";
import { type Inventory, type KubeObject, labelsOf } from "../inventory/model.js";
import { FIELD_MANAGER } from "../ownership.js";
import { toYaml } from "../serialize.js";
import type { RewriteMode } from "./promql.js";
import { buildReport, clusterObjectDocuments, type ObservabilityReport } from "./report.js";

export type ApplyDryRun = "none" | "client" | "server";

export interface ObservabilityChange {
  action: "create" | "update";
  target: ObjectRef;
  /** What is applied: only the fields the tool sets (the rewritten ones, or a whole generated monitor). */
  body: KubeObject;
  /**
   * Take the rewritten fields over from whoever wrote them (kubectl, Helm, a GitOps controller):
   * rewriting their strings is the point. Generated monitors never force.
   */
  force: boolean;
  why: string;
}

/** The cluster's own dashboards and rules of the given namespaces, rewritten, and the changes that follow. */
export function observabilityApplyPlan(
  inventory: Inventory,
  namespaces: readonly string[],
  mode: RewriteMode,
  rootNamespace?: string,
): { report: ObservabilityReport; changes: ObservabilityChange[] } {
  const selected = new Set(namespaces);
  const documents = clusterObjectDocuments(inventory).filter((d) =>
    selected.has(d.source.split("/")[1] ?? ""),
  );
  const report = buildReport(documents, mode, {
    inventory,
    namespaces,
    ...(rootNamespace ? { rootNamespace } : {}),
  });
  return { report, changes: planObservabilityApply(report, inventory, namespaces) };
}

/** The changes that make the cluster match the report, for objects in the given namespaces. */
function planObservabilityApply(
  report: ObservabilityReport,
  inventory: Inventory,
  namespaces: readonly string[],
): ObservabilityChange[] {
  const selected = new Set(namespaces);
  const changes: ObservabilityChange[] = [];
  for (const d of report.documents) {
    if (!d.fromCluster || !d.changed) continue;
    const rewritten = parse(d.text) as KubeObject;
    const ns = rewritten.metadata.namespace ?? "";
    if (!selected.has(ns)) continue;
    const kind = rewritten.kind === "ConfigMap" ? K.ConfigMap : K.PrometheusRule;
    const current = inventory.get(kind, ns, rewritten.metadata.name);
    if (!current) continue;
    const count = d.expressions.filter((e) => e.status === "rewritten").length;
    changes.push({
      action: "update",
      target: refOf(current),
      body: rewrittenFields(current, rewritten),
      force: true,
      why: `${count} expression(s) rewritten for mode ${report.mode}`,
    });
  }
  for (const monitor of report.generatedMonitors) {
    const ns = monitor.metadata.namespace as string;
    const current = inventory.get(K.PodMonitor, ns, monitor.metadata.name);
    const labelsKept = Object.entries(labelsOf(monitor)).every(([k, v]) => labelsOf(current)[k] === v);
    if (current && labelsKept && isDeepStrictEqual(current.spec, monitor.spec)) continue;
    changes.push({
      action: current ? "update" : "create",
      target: refOf(monitor),
      body: monitor,
      force: false,
      why: current ? "generated PodMonitor differs from the one in the cluster" : "generated PodMonitor",
    });
  }
  return changes;
}

/**
 * The fields the rewrite changed, with the resourceVersion that was rewritten: the apiserver
 * refuses the apply (409) when someone changed the object since it was read.
 */
function rewrittenFields(current: KubeObject, rewritten: KubeObject): KubeObject {
  const metadata = {
    name: current.metadata.name,
    namespace: current.metadata.namespace,
    resourceVersion: current.metadata.resourceVersion,
  };
  const head = { apiVersion: current.apiVersion, kind: current.kind, metadata };
  if (current.kind === "ConfigMap") {
    const before = (current.data ?? {}) as Record<string, string>;
    const after = (rewritten.data ?? {}) as Record<string, string>;
    return { ...head, data: Object.fromEntries(Object.entries(after).filter(([k, v]) => before[k] !== v)) };
  }
  // spec.groups is an atomic list in prometheus-operator's CRD: it is applied whole.
  return { ...head, spec: { groups: rewritten.spec?.groups } };
}

export function kubectlEquivalent(change: ObservabilityChange, dryRun: ApplyDryRun): string {
  const flags = [
    "--server-side",
    `--field-manager=${FIELD_MANAGER}`,
    ...(change.force ? ["--force-conflicts"] : []),
    ...(dryRun === "server" ? ["--dry-run=server"] : []),
  ];
  return `kubectl apply ${flags.join(" ")} -f - <<'EOF'  # ${change.action} ${describeRef(change.target)}\n${toYaml(change.body).trimEnd()}\nEOF`;
}

type ApplyResult = "applied" | "dry run (server)" | "dry run (client)";

/**
 * What `observability --apply` is doing, as it happens: the run (started with what it will
 * change; passed or failed last), the backup, each object's apply. `-o json` streams them as
 * NDJSON and the terminal's live tree is drawn from them (schema: docs/events.schema.json).
 */
export type ApplyEvent = { time: string } & (
  | {
      event: "observability";
      phase: "started";
      namespaces: string[];
      changes: number;
      dryRun: ApplyDryRun;
    }
  | { event: "observability"; phase: "passed"; applied: number; backup?: string }
  | { event: "observability"; phase: "failed"; error: string }
  | { event: "backup"; phase: "started" | "passed" | "failed"; path: string; objects: number; error?: string }
  | {
      event: "apply";
      phase: "started" | "passed" | "failed";
      namespace: string;
      action: ObservabilityChange["action"];
      object: string;
      why: string;
      /** The first line of its kubectl equivalent. */
      command: string;
      result?: ApplyResult;
      /** passed: what was applied (only the fields the tool sets). */
      applied?: KubeObject;
      error?: string;
    }
);

/** An ApplyEvent without its time (stamped when it is sent). */
type Untimed<T> = T extends unknown ? Omit<T, "time"> : never;

export interface ApplyRunOptions {
  dryRun: ApplyDryRun;
  backupPath: string;
  header: Omit<BackupHeader, "creates">;
  /** Each change's kubectl equivalent, before it is made. */
  out: (text: string) => void;
  progress: (line: string) => void;
  events?: (event: ApplyEvent) => void;
}

export interface ApplyRunResult {
  /** The verified backup, when one was taken (not on dry runs). */
  backup?: string;
  applied: { change: ObservabilityChange; result: ApplyResult }[];
}

export async function applyObservabilityChanges(
  port: ClusterPort,
  changes: readonly ObservabilityChange[],
  options: ApplyRunOptions,
): Promise<ApplyRunResult> {
  const emit = (event: Untimed<ApplyEvent>) =>
    options.events?.({ time: new Date().toISOString(), ...event } as ApplyEvent);
  const namespaces = [...new Set(changes.map((c) => c.target.namespace ?? ""))].sort();
  emit({
    event: "observability",
    phase: "started",
    namespaces,
    changes: changes.length,
    dryRun: options.dryRun,
  });
  try {
    const result = await applyAll(port, changes, options, emit);
    emit({
      event: "observability",
      phase: "passed",
      applied: result.applied.length,
      ...(result.backup ? { backup: result.backup } : {}),
    });
    return result;
  } catch (err) {
    emit({ event: "observability", phase: "failed", error: (err as Error).message });
    throw err;
  }
}

async function applyAll(
  port: ClusterPort,
  changes: readonly ObservabilityChange[],
  options: ApplyRunOptions,
  emit: (event: Untimed<ApplyEvent>) => void,
): Promise<ApplyRunResult> {
  const result: ApplyRunResult = { applied: [] };
  if (options.dryRun === "none" && changes.length > 0) {
    const objects = changes.filter((c) => c.action === "update").length;
    const backup = { event: "backup", path: options.backupPath, objects } as const;
    emit({ ...backup, phase: "started" });
    try {
      await backUp(port, changes, options);
    } catch (err) {
      emit({ ...backup, phase: "failed", error: (err as Error).message });
      throw err;
    }
    emit({ ...backup, phase: "passed" });
    result.backup = options.backupPath;
  }
  for (const change of changes) {
    const command = kubectlEquivalent(change, options.dryRun);
    const about = {
      event: "apply",
      namespace: change.target.namespace ?? "",
      action: change.action,
      object: describeRef(change.target),
      why: change.why,
      command: command.split("\n")[0] ?? command,
    } as const;
    const outcome: ApplyResult =
      options.dryRun === "none"
        ? "applied"
        : options.dryRun === "server"
          ? "dry run (server)"
          : "dry run (client)";
    emit({ ...about, phase: "started" });
    options.out(command);
    if (options.dryRun !== "client") {
      try {
        await port.apply(change.body, {
          fieldManager: FIELD_MANAGER,
          force: change.force,
          dryRun: options.dryRun === "server",
        });
      } catch (err) {
        emit({ ...about, phase: "failed", error: (err as Error).message });
        throw err;
      }
      options.progress(`${change.action} ${describeRef(change.target)}: done`);
    }
    emit({ ...about, phase: "passed", result: outcome, applied: change.body });
    result.applied.push({ change, result: outcome });
  }
  return result;
}

/** Every object to update, as it is now; nothing is applied unless this succeeds. */
async function backUp(
  port: ClusterPort,
  changes: readonly ObservabilityChange[],
  options: ApplyRunOptions,
): Promise<void> {
  const updates = changes.filter((c) => c.action === "update").map((c) => c.target);
  const { objects, missing } = await collectNamed(port, updates);
  if (missing.length > 0) {
    throw new AmbientMigrateError(
      `${missing.map(describeRef).join(", ")}: deleted since the cluster was read; nothing was changed`,
      ExitCode.conflict,
      "run the command again",
    );
  }
  const creates = changes.filter((c) => c.action === "create").map((c) => objectKey(c.body));
  writeVerifiedBackup(options.backupPath, { ...options.header, creates }, objects);
  options.progress(
    `backup of ${objects.length} object(s) written to ${options.backupPath}, read back and verified`,
  );
}
