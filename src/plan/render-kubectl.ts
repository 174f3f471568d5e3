// The one renderer from a plan's changes and gates to the kubectl/istioctl lines a person can run
// by hand: commands (from changes), verify (from gates), rollback (from changes and the previous
// values they recorded). Nothing here is written per step, so the lines cannot disagree with
// what the executor does.

import { toYaml } from "../cli/output.js";
import { templateMetadataPatch } from "../cluster/port.js";
import { lookupKind } from "../inventory/kinds.js";
import { L } from "../mesh/labels.js";
import { FIELD_MANAGER } from "../ownership.js";
import { type Change, type Gate, type ObjectRef, refOf, type Step } from "./model.js";

const CORE_NAMES: Record<string, string> = { Namespace: "namespace", Service: "service", Pod: "pod" };

/** kubectl's unambiguous resource name: `virtualservices.networking.istio.io`, `deployment`. */
export function resourceOf(ref: Pick<ObjectRef, "apiVersion" | "kind">): string {
  const info = lookupKind(ref.apiVersion, ref.kind);
  if (!info) return ref.kind.toLowerCase();
  if (info.group === "") return CORE_NAMES[info.kind] ?? info.plural;
  if (info.group === "apps" || info.group === "batch") return info.kind.toLowerCase();
  return `${info.plural}.${info.group}`;
}

function nsFlag(ref: ObjectRef): string {
  return ref.namespace ? ` -n ${ref.namespace}` : "";
}

function target(ref: ObjectRef): string {
  return `${resourceOf(ref)} ${ref.name}${nsFlag(ref)}`;
}

function labelCommand(ref: ObjectRef, key: string, value: string | null): string {
  return value === null
    ? `kubectl label ${target(ref)} ${key}-`
    : `kubectl label ${target(ref)} ${key}=${value} --overwrite`;
}

function templateMetadataCommand(
  change: Extract<Change, { type: "template-metadata" }>,
  value: string | null,
): string {
  const patch = templateMetadataPatch(change.target.kind, change.field, { [change.key]: value });
  return `kubectl patch ${target(change.target)} --type=merge -p '${JSON.stringify(patch)}'`;
}

function selectorText(selector: Record<string, string>): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

const STRIP_SERVER_FIELDS =
  "jq 'del(.items[].metadata | .resourceVersion, .uid, .creationTimestamp, .generation, .managedFields) | del(.items[].status)'";

export function changeCommands(change: Change): string[] {
  switch (change.type) {
    case "label":
      return [labelCommand(change.target, change.key, change.value)];
    case "template-metadata":
      return [templateMetadataCommand(change, change.value)];
    case "apply":
      return [
        ...(change.waitBefore ? gateVerify(change.waitBefore) : []),
        `kubectl apply --server-side --field-manager=${FIELD_MANAGER} -f - <<'EOF'\n${toYaml(change.object).trimEnd()}\nEOF`,
        ...(change.waitFor ? gateVerify(change.waitFor) : []),
      ];
    case "backup": {
      const names = change.targets.map((t) => `${resourceOf(t)}/${t.name}`).join(" ");
      return [
        `kubectl get ${names} -n ${change.namespace} -o json | ${STRIP_SERVER_FIELDS} > ${change.file}`,
        ...gateVerify(change.waitFor),
      ];
    }
    case "delete":
      return [`kubectl delete ${target(change.target)}`];
    case "restart":
      return change.method === "rollout-restart"
        ? [
            `kubectl rollout restart ${resourceOf(change.target)}/${change.target.name}${nsFlag(change.target)}`,
          ]
        : [
            `kubectl delete pods${nsFlag(change.target)} -l ${selectorText(change.podSelector ?? {})} --wait=false`,
          ];
  }
}

export function gateVerify(gate: Gate): string[] {
  switch (gate.type) {
    case "waypoint-programmed":
      return [
        `kubectl wait --for=condition=Programmed=True gateways.gateway.networking.k8s.io/${gate.name} -n ${gate.namespace} --timeout=300s`,
      ];
    case "ztunnel-workloads":
      return [
        `istioctl ztunnel-config workloads --workload-namespace ${gate.namespace}  # every pod listed, PROTOCOL HBONE`,
      ];
    case "injection-disabled":
      return [
        `test -z "$(kubectl get namespace ${gate.namespace} -o jsonpath='{.metadata.labels.${L.injection}}{.metadata.labels.${L.revision.replace(".", "\\.")}}')"  # no injection label left`,
      ];
    case "rollouts-complete":
      return gate.targets.map(
        (t) => `kubectl rollout status ${resourceOf(t)}/${t.name}${nsFlag(t)} --timeout=10m`,
      );
    case "backup-verified":
      return [`kubectl apply --dry-run=server -f ${gate.file}  # the backup is readable and valid`];
    case "no-sidecars":
      return [
        `! kubectl get pods -n ${gate.namespace} -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.containers[*].name}{" "}{.spec.initContainers[*].name}{"\\n"}{end}' | grep -w istio-proxy${exceptFilter(gate.except)}  # no pod runs istio-proxy`,
      ];
    case "pods-redirected":
      return [
        `kubectl get pods -n ${gate.namespace} -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.metadata.annotations.ambient\\.istio\\.io/redirection}{"\\n"}{end}'${exceptFilter(gate.except)} | awk '$2 != "enabled" {print "not redirected: " $1; bad=1} END {exit bad}'`,
        `! istioctl ztunnel-config workloads --workload-namespace ${gate.namespace} -o json | grep -q '"nativeTunnel": true'  # ztunnel itself carries the traffic, not a sidecar`,
      ];
    case "policies-accepted":
      return gate.targets.map((t) =>
        t.kind === "HTTPRoute"
          ? `kubectl get ${target(t)} -o jsonpath='{.status.parents[*].conditions[?(@.type=="Accepted")].status}'  # True`
          : `kubectl get ${target(t)} -o jsonpath='{.status.conditions[?(@.type=="WaypointAccepted")].status}'  # True`,
      );
  }
}

function exceptFilter(except: ObjectRef[]): string {
  return except.length === 0 ? "" : ` | grep -v ${except.map((e) => `-e '^${e.name}'`).join(" ")}`;
}

/** Undoes one change; label and template changes restore the value the input showed. */
export function changeRollback(change: Change): string[] {
  switch (change.type) {
    case "label":
      return [labelCommand(change.target, change.key, change.previous)];
    case "template-metadata":
      return [templateMetadataCommand(change, change.previous)];
    case "apply":
      return change.created ? [`kubectl delete ${target(refOf(change.object))}`] : [];
    case "backup":
      return [];
    case "delete":
      return [`kubectl apply -f ${change.backupFile}  # re-creates the objects step 5 deleted`];
    case "restart":
      return [
        ...changeCommands(change),
        ...(change.method === "rollout-restart"
          ? gateVerify({ type: "rollouts-complete", targets: [change.target] }).map(
              (l) => `${l}  # pods show 2/2 again`,
            )
          : []),
      ];
  }
}

export interface StepDraft {
  step: Step["step"];
  title: string;
  changes: Change[];
  gates: Gate[];
  notes: string[];
}

/**
 * Renders a step. `restoreFirst` are changes whose rollback must run before this step's own
 * (step 4's pods only get sidecars back once step 3's injection label is back).
 */
export function renderStep(draft: StepDraft, restoreFirst: readonly Change[] = []): Step {
  // Rendered when first read, not here: most plans are built to be assessed, run or counted, and
  // the kubectl text (the YAML of every object applied) was most of the time spent building one.
  const step = { ...draft } as Step;
  lazy(step, "commands", () => draft.changes.flatMap(changeCommands));
  lazy(step, "verify", () => draft.gates.flatMap(gateVerify));
  lazy(step, "rollback", () => [
    ...new Set([
      ...restoreFirst.flatMap(changeRollback),
      ...[...draft.changes].reverse().flatMap(changeRollback),
    ]),
  ]);
  return step;
}

/** Makes `key` computed on its first read, then a plain value; enumerable, so JSON includes it. */
function lazy<T extends object, K extends keyof T>(target: T, key: K, compute: () => T[K]): void {
  Object.defineProperty(target, key, {
    enumerable: true,
    configurable: true,
    get() {
      const value = compute();
      Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
      return value;
    },
  });
}
