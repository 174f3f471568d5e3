// What `ambient-migrate status` does (its flags and help: commands/status.ts).

import type { Command } from "commander";
import { MeshContext, type NamespaceContext } from "../../assess/context.js";
import { readSyncz, type SyncStates } from "../../cluster/istiod-syncz.js";
import { readZtunnel, type ZtunnelConfig } from "../../cluster/ztunnel.js";
import { AmbientMigrateError, ExitCode } from "../../errors.js";
import type { ClusterReadScope } from "../../inventory/from-cluster.js";
import { K, kindInfo } from "../../inventory/kinds.js";
import { annotationsOf, type Inventory, type KubeObject } from "../../inventory/model.js";
import { A, L } from "../../mesh/labels.js";
import type { NamespaceMode } from "../../mesh/namespace-state.js";
import { podDataplanes } from "../../mesh/pod-dataplane.js";
import { sidecarFacts } from "../../mesh/sidecar.js";
import { bypassExemptions } from "../../plan/traffic-safety.js";
import { JOURNAL_NAME, journalFromConfigMap, journalSummary } from "../../run/journal.js";
import { clusterPortFor } from "../cluster-loader.js";
import { type GlobalOptions, globalOptions, loadMesh } from "../context.js";
import { structured, table } from "../output.js";
import { type IOStreams, noteTo } from "../streams.js";

export interface NamespaceStatus {
  namespace: string;
  mode: NamespaceMode;
  state: string;
  injection: string;
  dataplane: string;
  waypoint: string;
  pods: { total: number; withSidecar: number; redirected: number };
  /**
   * Caller namespaces whose service accounts the namespace's bypass DENY policies still exempt
   * (`--bypass-deny`): their requests reach the pods without the waypoint. A caller already off
   * its sidecars is marked "(no sidecars left)": its exemption is stale.
   */
  bypassExempt: string[];
}

function programmed(gateway: KubeObject | undefined): boolean {
  const conditions = (gateway?.status?.conditions ?? []) as { type?: string; status?: string }[];
  return conditions.some((c) => c.type === "Programmed" && c.status === "True");
}

function injectionOf(ctx: NamespaceContext): string {
  const injection = ctx.state().injection;
  return injection.mode === "none" ? "-" : `${injection.label}=${injection.value}`;
}

function waypointOf(ctx: NamespaceContext): string {
  const w = ctx.waypoint();
  const gateway = ctx.inventory.inNamespace(K.Gateway, w.namespace).find((g) => g.metadata.name === w.name);
  const where = w.namespace === ctx.namespace ? w.name : `${w.namespace}/${w.name}`;
  if (!w.labelled) return w.exists ? `${where} (not used yet)` : "-";
  if (!w.exists) return `${where} (missing)`;
  return `${where} (${programmed(gateway) ? "programmed" : "not programmed"})`;
}

/** The migration journal's word on the namespace (failed at step k, at step k, migrated), if any. */
function journalState(inventory: Inventory, namespace: string): string | undefined {
  const cm = inventory.inNamespace(K.ConfigMap, namespace).find((c) => c.metadata.name === JOURNAL_NAME);
  const journal = journalFromConfigMap(cm);
  return journal ? journalSummary(journal) : undefined;
}

/**
 * What status reads, and so all it lists from a live cluster: Namespaces (labels); pods and their
 * controllers (sidecars, the mode); the journal's ConfigMaps, by name; AuthorizationPolicies
 * (bypass DENY exemptions); Gateways (the waypoint). At 1,000 namespaces the Services,
 * ServiceAccounts, DestinationRules, VirtualServices and other ConfigMaps were four fifths of
 * what `status -A` listed and parsed (6,559 of 8,071 objects), for nothing it shows.
 * test/unit/run/status-kinds.test.ts checks that status shows the same from these alone.
 */
export const STATUS_READ = {
  kinds: (
    [
      K.Namespace,
      K.Pod,
      K.Deployment,
      K.StatefulSet,
      K.DaemonSet,
      K.ReplicaSet,
      K.Job,
      K.CronJob,
      K.ConfigMap,
      K.AuthorizationPolicy,
      K.Gateway,
    ] as const
  ).map(kindInfo),
  listOptions: { [K.ConfigMap]: { fieldSelector: `metadata.name=${JOURNAL_NAME}` } },
} satisfies ClusterReadScope;

export function namespaceStatuses(inventory: Inventory, namespaces: readonly string[]): NamespaceStatus[] {
  const mesh = new MeshContext(inventory);
  const onSidecars = mesh.sidecarNamespaces();
  return namespaces.map((namespace) => {
    const ctx = mesh.namespace(namespace);
    const state = ctx.state();
    const pods = inventory.inNamespace(K.Pod, namespace);
    return {
      namespace,
      mode: state.mode,
      state: journalState(inventory, namespace) ?? state.summary,
      injection: injectionOf(ctx),
      dataplane: ctx.labels[L.dataplaneMode] ?? "-",
      waypoint: waypointOf(ctx),
      pods: {
        total: pods.length,
        withSidecar: pods.filter((p) => sidecarFacts(p.spec, annotationsOf(p)).hasSidecar).length,
        redirected: pods.filter((p) => annotationsOf(p)[A.redirection] === "enabled").length,
      },
      bypassExempt: bypassExemptions(inventory, namespace).map((caller) =>
        onSidecars.has(caller) ? caller : `${caller} (no sidecars left)`,
      ),
    };
  });
}

/** A namespace's status in one of several clusters (`--context a,b`, `--all-contexts`). */
export type ClusterNamespaceStatus = NamespaceStatus & { cluster?: string };

export function renderStatus(statuses: readonly ClusterNamespaceStatus[]): string {
  // The bypass column only when some namespace has a bypass DENY that exempts sidecar callers.
  const exempt = statuses.some((s) => s.bypassExempt.length > 0);
  const fleet = statuses.some((s) => s.cluster !== undefined);
  return table(
    [
      ...(fleet ? ["cluster"] : []),
      "namespace",
      "state",
      "injection",
      "dataplane",
      "waypoint",
      "pods (total/sidecar/redirected)",
      ...(exempt ? ["sidecar callers exempt from bypass deny"] : []),
    ],
    statuses.map((s) => [
      ...(fleet ? [s.cluster ?? "-"] : []),
      s.namespace,
      s.state,
      s.injection,
      s.dataplane,
      s.waypoint,
      `${s.pods.total}/${s.pods.withSidecar}/${s.pods.redirected}`,
      ...(exempt ? [s.bypassExempt.join(", ") || "-"] : []),
    ]),
  );
}

/** The contexts to read: several with `--context a,b,c` or `--all-contexts`; undefined for one. */
async function fleetContexts(options: GlobalOptions, allContexts: boolean): Promise<string[] | undefined> {
  const named = [...new Set((options.context ?? "").split(",").filter(Boolean))];
  if (allContexts && named.length > 0)
    throw new AmbientMigrateError(
      "--all-contexts and --context name the clusters differently: give one",
      ExitCode.usage,
    );
  if (!allContexts && named.length < 2) return undefined;
  if (options.filename.length > 0)
    throw new AmbientMigrateError(
      "several clusters (--context a,b or --all-contexts) are read live, not from files",
      ExitCode.usage,
      "drop -f",
    );
  if (named.length > 1) return named;
  const { kubeconfigContexts } = await import("../../cluster/kubeconfig.js");
  const all = kubeconfigContexts(options);
  if (all.length === 0)
    throw new AmbientMigrateError("the kubeconfig defines no context", ExitCode.clusterUnreachable);
  return all;
}

interface ClusterError {
  cluster: string;
  error: string;
  exitCode: number;
}

/** Reads every cluster at once; a cluster that fails is reported, the others still listed. */
async function fleetStatuses(
  options: GlobalOptions,
  contexts: readonly string[],
  note: (line: string) => void,
): Promise<{ statuses: ClusterNamespaceStatus[]; errors: ClusterError[] }> {
  const everything = options.namespace.length === 0 && !options.selector;
  const results = await Promise.all(
    contexts.map(async (cluster) => {
      const say = (line: string) => note(`[${cluster}] ${line}`);
      try {
        const loaded = await loadMesh(
          { ...options, context: cluster, allNamespaces: options.allNamespaces || everything },
          say,
          STATUS_READ,
        );
        say(loaded.summary);
        return namespaceStatuses(loaded.inventory, loaded.namespaces).map((s) => ({ cluster, ...s }));
      } catch (err) {
        if (!(err instanceof AmbientMigrateError)) throw err;
        return { cluster, error: err.message, exitCode: err.exitCode };
      }
    }),
  );
  return {
    statuses: results.flatMap((r) => (Array.isArray(r) ? r : [])),
    errors: results.flatMap((r) => (Array.isArray(r) ? [] : [r])),
  };
}

/** `status --workloads`: the pods of the selected namespaces and their data planes. */
async function workloadsStatus(
  io: IOStreams,
  options: GlobalOptions,
  note: (line: string) => void,
  istiod: string | undefined,
) {
  const everything = options.namespace.length === 0 && !options.selector;
  const loaded = await loadMesh(
    { ...options, allNamespaces: options.allNamespaces || everything },
    note,
    STATUS_READ,
  );
  note(loaded.summary);
  let ztunnel: ZtunnelConfig | undefined;
  let ztunnelError: string | undefined;
  if (options.filename.length > 0) ztunnelError = "manifests were read, not a cluster: ztunnel not asked";
  else {
    try {
      ztunnel = await readZtunnel(await clusterPortFor(options, () => {}));
      note(`ztunnel's workloads read from ${ztunnel.source}`);
    } catch (err) {
      if (!(err instanceof AmbientMigrateError) || err.exitCode === ExitCode.forbidden) throw err;
      ztunnelError = err.message;
    }
  }
  if (ztunnelError) note(`ztunnel: ${ztunnelError}; pods without a sidecar are shown as unknown`);
  // The sidecars' sync with istiod: optional like ztunnel's view; the table says when it is missing.
  let sync: SyncStates | undefined;
  if (options.filename.length === 0) {
    try {
      const read = await readSyncz(await clusterPortFor(options, () => {}), istiod);
      sync = read.states;
      note(`sidecars' sync read from istiod ${read.source}`);
    } catch (err) {
      if (!(err instanceof AmbientMigrateError) || err.exitCode === ExitCode.forbidden) throw err;
      note(`istiod's sync states: ${err.message}${err.hint ? ` (${err.hint})` : ""}`);
    }
  }
  const pods = podDataplanes(loaded.inventory, loaded.namespaces, ztunnel, sync);
  if (options.output !== "table") {
    io.out.write(structured({ pods, ...(ztunnelError ? { ztunnelError } : {}) }, options.output));
    return;
  }
  io.out.write(
    table(
      ["namespace", "pod", "dataplane", "protocol", "waypoint", "istiod sync"],
      pods.map((p) => [p.namespace, p.pod, p.dataplane, p.protocol, p.waypoint, p.istiodSync ?? "-"]),
    ),
  );
}

export async function action(
  io: IOStreams,
  flags: { allContexts?: boolean; workloads?: boolean; watch?: boolean; istiod?: string },
  command: Command,
): Promise<void> {
  const note = noteTo(io);
  const options = globalOptions(command);
  if (flags.watch) {
    if (flags.workloads || flags.allContexts || (options.context ?? "").includes(","))
      throw new AmbientMigrateError(
        "--watch shows one cluster's namespace table",
        ExitCode.usage,
        "drop --workloads, --all-contexts or the second context",
      );
    // Loaded only for --watch: log-update and its terminal libraries cost every other status ~40 ms to load.
    const { watchStatus } = await import("../live/status-watch.js");
    return watchStatus(io, options, note);
  }
  if (flags.workloads) {
    if (flags.allContexts || (options.context ?? "").includes(","))
      throw new AmbientMigrateError("--workloads reads one cluster", ExitCode.usage, "give one --context");
    return workloadsStatus(io, options, note, flags.istiod);
  }
  const contexts = await fleetContexts(options, flags.allContexts === true);
  if (contexts) {
    const { statuses, errors } = await fleetStatuses(options, contexts, note);
    for (const e of errors) note(`error: [${e.cluster}] ${e.error}`);
    io.out.write(
      options.output === "table"
        ? renderStatus(statuses)
        : structured({ namespaces: statuses, ...(errors.length > 0 ? { errors } : {}) }, options.output),
    );
    if (errors[0]) process.exitCode = errors[0].exitCode;
    return;
  }
  const everything = options.namespace.length === 0 && !options.selector;
  const loaded = await loadMesh(
    { ...options, allNamespaces: options.allNamespaces || everything },
    note,
    STATUS_READ,
  );
  note(loaded.summary);
  const statuses = namespaceStatuses(loaded.inventory, loaded.namespaces);
  io.out.write(
    options.output === "table"
      ? renderStatus(statuses)
      : structured({ namespaces: statuses }, options.output),
  );
}
