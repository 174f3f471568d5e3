// `ambient-migrate status`: where every namespace stands, in one table for the whole cluster
// (or for manifests with -f). It reads each kind once, whatever the number of namespaces.

import { Command } from "commander";
import { MeshContext, NamespaceContext } from "../../assess/context.js";
import { K } from "../../inventory/kinds.js";
import { annotationsOf, type Inventory, type KubeObject } from "../../inventory/model.js";
import { A, L } from "../../mesh/labels.js";
import type { NamespaceMode } from "../../mesh/namespace-state.js";
import { sidecarFacts } from "../../mesh/sidecar.js";
import { bypassExemptions } from "../../plan/traffic-safety.js";
import { JOURNAL_NAME, journalFromConfigMap, journalSummary } from "../../run/journal.js";
import { globalOptions, loadMesh } from "../context.js";
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

export function namespaceStatuses(inventory: Inventory, namespaces: readonly string[]): NamespaceStatus[] {
  const mesh = new MeshContext(inventory);
  const onSidecars = mesh.sidecarNamespaces();
  return namespaces.map((namespace) => {
    const ctx = new NamespaceContext(mesh, namespace);
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

export function renderStatus(statuses: readonly NamespaceStatus[]): string {
  // The bypass column only when some namespace has a bypass DENY that exempts sidecar callers.
  const exempt = statuses.some((s) => s.bypassExempt.length > 0);
  return table(
    [
      "namespace",
      "state",
      "injection",
      "dataplane",
      "waypoint",
      "pods (total/sidecar/redirected)",
      ...(exempt ? ["sidecar callers exempt from bypass deny"] : []),
    ],
    statuses.map((s) => [
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

export function statusCommand(io: IOStreams): Command {
  const note = noteTo(io);
  return new Command("status")
    .description("show where each namespace stands: sidecar, migrating (after which step), or ambient")
    .addHelpText(
      "after",
      "\nWithout -n or -l, every namespace of the cluster (or of the -f manifests) is listed.\n" +
        "PODS counts all pods / pods with a sidecar / pods enrolled by the Istio CNI (ambient.istio.io/redirection).",
    )
    .action(async (_options, command: Command) => {
      const options = globalOptions(command);
      const everything = options.namespace.length === 0 && !options.selector;
      const loaded = await loadMesh({ ...options, allNamespaces: options.allNamespaces || everything }, note);
      note(loaded.summary);
      const statuses = namespaceStatuses(loaded.inventory, loaded.namespaces);
      io.out.write(
        options.output === "table"
          ? renderStatus(statuses)
          : structured({ namespaces: statuses }, options.output),
      );
    });
}
