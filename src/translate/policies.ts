// AuthorizationPolicy / RequestAuthentication / WasmPlugin: `selector` -> `targetRefs`.
// L4-only AuthorizationPolicies stay as they are (ztunnel enforces them, per istiod's split in
// mesh/authorization.ts); policies that need a waypoint get a copy attached to the Services
// selecting their pods, to the namespace's waypoint, or to the waypoint GatewayClass in the
// root namespace.

import { K } from "../inventory/kinds.js";
import type { Inventory, KubeObject } from "../inventory/model.js";
import { attachmentOf, classifyAuthorizationPolicy } from "../mesh/authorization.js";
import { WAYPOINT_CLASS } from "../mesh/labels.js";
import { rootNamespaceOf } from "../mesh/mesh-config.js";
import { sidecarStateOf, workloadsIn } from "../mesh/workloads.js";
import { TRUST_DOMAIN, translatedMetadata } from "./meta.js";
import { type Note, noter, type ReportEntry } from "./report.js";
import { waypointName } from "./waypoints.js";

const MAX_TARGET_REFS = 16;
const GATEWAY_GROUP = "gateway.networking.k8s.io";

export interface PolicyOptions {
  bypassDeny?: boolean;
  rootNamespace?: string;
}

export interface PolicyTranslation {
  objects: KubeObject[];
  /** Bypass DENY policies: they only hold once the namespace's own pods are off sidecars (step 4). */
  afterRestart: KubeObject[];
  replaced: boolean;
  /** The namespace whose waypoint the new policy attaches to (it needs one). */
  waypointNamespace?: string;
}

type TargetRef = { group: string; kind: string; name: string };

export function translatePolicy(
  inventory: Inventory,
  policy: KubeObject,
  report: ReportEntry[],
  options: PolicyOptions = {},
): PolicyTranslation {
  const note = noter(report, policy);
  const namespace = policy.metadata.namespace ?? "default";
  const rootNamespace = rootNamespaceOf(inventory, options.rootNamespace);
  const spec = policy.spec ?? {};
  const attachment = attachmentOf(spec);
  const none: PolicyTranslation = { objects: [], afterRestart: [], replaced: false };
  if (attachment === "targetRefs") {
    note("info", "spec.targetRefs", "already attached with targetRefs: unchanged");
    return none;
  }
  const isAuthz = policy.kind === "AuthorizationPolicy";
  const classification = isAuthz ? classifyAuthorizationPolicy(spec) : undefined;
  if (classification && !classification.needsWaypoint) {
    note(
      "info",
      attachment === "selector" ? "spec.selector" : "spec",
      "L4 only: kept as is, ztunnel enforces it",
    );
    if (classification.keyedOnCallerIdentity) {
      note(
        "warning",
        "spec.rules[].from",
        "keyed on the caller's identity: for traffic through a waypoint ztunnel sees the waypoint as the caller, so these rules then match the waypoint's identity; allow the waypoint's service account or move the rule to the waypoint",
      );
    }
    return none;
  }
  if (classification) {
    note(
      "info",
      "spec.rules",
      `needs a waypoint (${classification.l7Fields.length > 0 ? `L7 fields ${classification.l7Fields.join(", ")}` : `action ${classification.action}`})`,
    );
    if (classification.action === "CUSTOM") {
      note(
        "warning",
        "spec.provider",
        "CUSTOM at a waypoint: the extension provider must be reachable from the waypoint",
      );
    }
  }
  let targets: TargetRef[];
  let waypointNamespace: string | undefined;
  if (attachment === "namespace" && namespace === rootNamespace) {
    targets = [{ group: GATEWAY_GROUP, kind: "GatewayClass", name: WAYPOINT_CLASS }];
    note(
      "info",
      "spec",
      `root-namespace policy -> targetRefs GatewayClass ${WAYPOINT_CLASS} (every waypoint)`,
    );
  } else if (attachment === "selector" && namespace === rootNamespace) {
    note(
      "error",
      "spec.selector",
      "a selector in the root namespace applies to workloads of every namespace: no targetRefs can express it; split it per namespace by hand",
    );
    return none;
  } else if (attachment === "namespace") {
    const name = waypointName(inventory, namespace);
    targets = [{ group: GATEWAY_GROUP, kind: "Gateway", name }];
    waypointNamespace = namespace;
    note("info", "spec", `namespace-wide policy -> targetRefs Gateway ${name} (the namespace's waypoint)`);
  } else {
    const found = servicesSelecting(inventory, namespace, spec.selector?.matchLabels ?? {}, note);
    if (found.length === 0) return none;
    targets = found.map((name) => ({ group: "", kind: "Service", name }));
    waypointNamespace = namespace;
  }
  if (classification?.keyedOnCallerIdentity) {
    note(
      "info",
      "spec.rules[].from",
      "keyed on the caller's identity: the waypoint sees the real caller, so this holds at the waypoint",
    );
  }
  note(
    "warning",
    "spec",
    "clients still on sidecars reach the pods without passing the waypoint (istio/istio#51445): this policy does not apply to them until they migrate (see --bypass-deny)",
  );
  const { selector: _selector, ...rest } = spec;
  const objects: KubeObject[] = [];
  for (let i = 0; i < targets.length; i += MAX_TARGET_REFS) {
    const suffix = i === 0 ? "" : `-${i / MAX_TARGET_REFS + 1}`;
    objects.push({
      apiVersion: policy.apiVersion,
      kind: policy.kind,
      metadata: translatedMetadata(`${policy.metadata.name}-waypoint${suffix}`, namespace, policy),
      spec: { ...rest, targetRefs: targets.slice(i, i + MAX_TARGET_REFS) },
    });
  }
  if (targets.length > MAX_TARGET_REFS) {
    note(
      "info",
      "spec.selector",
      `${targets.length} targets: split into ${objects.length} policies of at most ${MAX_TARGET_REFS} targetRefs`,
    );
  }
  note(
    "info",
    attachment === "selector" ? "spec.selector" : "spec",
    `-> ${policy.kind} ${objects.map((o) => o.metadata.name).join(", ")} with targetRefs ${targets.map((t) => `${t.kind}/${t.name}`).join(", ")}`,
  );
  const afterRestart =
    options.bypassDeny && isAuthz && namespace !== rootNamespace
      ? bypassDeny(inventory, policy, attachment === "selector" ? spec.selector : undefined, namespace, note)
      : [];
  return { objects, afterRestart, replaced: true, ...(waypointNamespace ? { waypointNamespace } : {}) };
}

/** Names of the Services in `namespace` that select pods the policy selects. */
function servicesSelecting(
  inventory: Inventory,
  namespace: string,
  matchLabels: Record<string, string>,
  note: Note,
): string[] {
  const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);
  const workloads = workloadsIn(inventory, namespace);
  const selected = workloads.filter((w) => matches(matchLabels, w.template.labels));
  if (selected.length === 0) {
    note(
      "error",
      "spec.selector.matchLabels",
      "selects no workload in the input: cannot tell which Services to target",
    );
    return [];
  }
  const names: string[] = [];
  for (const service of inventory.inNamespace(K.Service, namespace)) {
    const selector = (service.spec?.selector ?? {}) as Record<string, string>;
    if (Object.keys(selector).length === 0) continue;
    if (!selected.some((w) => matches(selector, w.template.labels))) continue;
    names.push(service.metadata.name);
    const extra = workloads.filter((w) => matches(selector, w.template.labels) && !selected.includes(w));
    if (extra.length > 0) {
      note(
        "warning",
        "spec.selector",
        `Service ${service.metadata.name} also selects ${extra.map((w) => `${w.kind}/${w.name}`).join(", ")}: the policy now applies to requests to them through ${service.metadata.name} too`,
      );
    }
  }
  const unreachable = selected.filter(
    (w) =>
      !inventory
        .inNamespace(K.Service, namespace)
        .some(
          (s) =>
            Object.keys(s.spec?.selector ?? {}).length > 0 && matches(s.spec.selector, w.template.labels),
        ),
  );
  if (unreachable.length > 0) {
    note(
      "warning",
      "spec.selector",
      `no Service selects ${unreachable.map((w) => `${w.kind}/${w.name}`).join(", ")}: traffic to their pod IPs skips the waypoint and this policy`,
    );
  }
  if (names.length === 0) {
    note(
      "error",
      "spec.selector",
      "no Service selects these workloads: a waypoint only sees traffic addressed to Services",
    );
  }
  return names.sort();
}

/** A selector DENY that ztunnel enforces: only the waypoint (and callers still on sidecars) may reach the pods. */
function bypassDeny(
  inventory: Inventory,
  policy: KubeObject,
  selector: unknown,
  namespace: string,
  note: Note,
): KubeObject[] {
  const waypoint = waypointName(inventory, namespace);
  const principals = new Set<string>();
  for (const ns of inventory.namespaceNames()) {
    if (ns === namespace) continue;
    const nsLabels = inventory.namespaceObject(ns)?.metadata.labels ?? {};
    for (const w of workloadsIn(inventory, ns)) {
      if (!sidecarStateOf(w, nsLabels).carriesSidecar) continue;
      const sa =
        (w.template.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName ?? "default";
      principals.add(`${TRUST_DOMAIN}/ns/${ns}/sa/${sa}`);
    }
  }
  const sidecarCallers = [...principals].sort();
  note(
    "warning",
    "spec",
    `bypass DENY ${policy.metadata.name}-bypass-deny: only the waypoint ${waypoint}${sidecarCallers.length > 0 ? ` and ${sidecarCallers.length} caller(s) still on sidecars (which skip the L7 policy; remove them as they migrate)` : ""} may reach the pods; apply it after step 4 (the namespace's own pods, still on sidecars until then, are not listed); trust domain assumed ${TRUST_DOMAIN}`,
  );
  return [
    {
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: translatedMetadata(`${policy.metadata.name}-bypass-deny`, namespace, policy),
      spec: {
        ...(selector ? { selector } : {}),
        action: "DENY",
        rules: [
          {
            from: [
              {
                source: {
                  notPrincipals: [`${TRUST_DOMAIN}/ns/${namespace}/sa/${waypoint}`, ...sidecarCallers],
                },
              },
            ],
          },
        ],
      },
    },
  ];
}
