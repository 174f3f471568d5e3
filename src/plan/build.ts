// plan: inventory + assessment -> Plan. Pure. Per namespace, the seed's six steps as changes and
// gates; a blocked namespace gets its blockers and no steps; an ambient one gets nothing to do;
// one between steps gets the steps it has left.

import { type Assessment, type AssessOptions, assess, type NamespaceAssessment } from "../assess/assess.js";
import { MeshContext, type NamespaceContext } from "../assess/context.js";
import type { Finding } from "../assess/finding.js";
import { restartExplanation, restartMethodOf } from "../assess/restart.js";
import { namespaceRef, type ObjectRef, refOf } from "../inventory/identity.js";
import { K } from "../inventory/kinds.js";
import type { Inventory, KubeObject } from "../inventory/model.js";
import { injectionLabels } from "../mesh/injection.js";
import { DATAPLANE_AMBIENT, L } from "../mesh/labels.js";
import { waypointGateway } from "../mesh/waypoint.js";
import { step5Dispositions, TRANSLATION_INCOMPLETE } from "./dispositions.js";
import {
  backupFileFor,
  type Change,
  type Disposition,
  type Gate,
  type NamespacePlan,
  type Plan,
  routesFileFor,
  type Step,
  type WaypointPlan,
} from "./model.js";
import { documentsToRewrite, namespaceObservability } from "./observability.js";
import type { PlanOptions } from "./options.js";
import { renderStep, type StepDraft } from "./render-kubectl.js";
import { stepNumber } from "./steps.js";
import { bypassShrinks, hboneAllowPolicies, ingressLabelTargets } from "./traffic-safety.js";
import { type PlannedApply, type TranslatedConfig, translateForPlan } from "./translated.js";

/**
 * How a plan is built, beyond the user's options. `allSteps`: every step, done or not, also for a
 * namespace already ambient: what `migrate --verify-only --step N` checks against the cluster.
 */
interface BuildOptions {
  allSteps?: boolean;
}

/** The plan for the namespaces: assessed, then planned, with the same options. */
export function planNamespaces(
  inventory: Inventory,
  namespaces: readonly string[],
  options: PlanOptions & AssessOptions & BuildOptions,
): Plan {
  return buildPlan(inventory, assess(inventory, namespaces, options), options);
}

/** planNamespaces, with each namespace planned only when the iteration reaches it. */
export function planNamespacesStreamed(
  inventory: Inventory,
  namespaces: readonly string[],
  options: PlanOptions & AssessOptions & BuildOptions,
): PlanStream {
  return streamPlan(inventory, assess(inventory, namespaces, options), options, true);
}

export function buildPlan(
  inventory: Inventory,
  assessment: Assessment,
  options: PlanOptions & BuildOptions = {},
): Plan {
  const planned = streamPlan(inventory, assessment, options, false);
  return { namespaces: [...planned.namespaces], observability: planned.observability };
}

/** A plan whose namespaces are planned one at a time, as they are read. */
export interface PlanStream {
  namespaces: Iterable<NamespacePlan>;
  observability: Plan["observability"];
}

/**
 * The plan, each namespace planned only when the iteration reaches it: a text plan of 37,000
 * namespaces is printed namespace by namespace without holding every namespace's steps at once.
 */
function streamPlan(
  inventory: Inventory,
  assessment: Assessment,
  options: PlanOptions & BuildOptions,
  /** Namespaces are planned one at a time and let go: what waits for them is held compactly. */
  streamed: boolean,
): PlanStream {
  const mesh = new MeshContext(inventory, options);
  const byNamespace = new Map<string, Finding[]>();
  const meshFindings = assessment.findings.filter((f) => f.scope === "mesh");
  for (const f of assessment.findings) {
    if (f.scope === "mesh") continue;
    const list = byNamespace.get(f.namespace);
    if (list) list.push(f);
    else byNamespace.set(f.namespace, [f]);
  }
  // Only a namespace that will migrate is translated (a blocked one keeps its sidecars anyway).
  const migrating = assessment.namespaces
    .filter(
      (a) => !a.blocked && (options.allSteps || a.state.mode !== "ambient") && a.state.mode !== "not-meshed",
    )
    .map((a) => a.namespace);
  const translated = translateForPlan(
    inventory,
    migrating,
    { ...options, rootNamespace: mesh.rootNamespace },
    streamed,
  );
  const willMigrate = new Set(migrating);
  function* namespaces(): Generator<NamespacePlan> {
    for (const a of assessment.namespaces) {
      const ctx = mesh.namespace(a.namespace);
      yield planNamespace(
        ctx,
        a,
        [...meshFindings, ...(byNamespace.get(a.namespace) ?? [])],
        options,
        willMigrate.has(a.namespace) ? translated(a.namespace) : undefined,
      );
      ctx.forget();
    }
  }
  return { namespaces: namespaces(), observability: { documents: documentsToRewrite(mesh) } };
}

function planNamespace(
  ctx: NamespaceContext,
  a: NamespaceAssessment,
  findings: Finding[],
  options: PlanOptions & BuildOptions,
  translated: TranslatedConfig | undefined,
): NamespacePlan {
  const ns = a.namespace;
  const waypoint = waypointPlan(a, translated?.waypointWanted);
  const { delete: deleteInStep5, keep } = step5Dispositions(ctx, a.dispositions, translated);
  const base: NamespacePlan = {
    namespace: ns,
    state: a.state,
    blocked: a.blocked,
    blockers: findings.filter((f) => f.severity === "blocker"),
    warnings: findings.filter((f) => f.severity === "warning"),
    waypoint,
    applyBeforeStep1: [],
    deleteInStep5,
    keep,
    manualRestarts: [],
    notes: [],
    steps: [],
    ...(translated ? { translationReport: translated.report } : {}),
  };
  if (a.blocked) {
    base.notes.push("blocked: resolve the blockers above, then plan again; the namespace keeps its sidecars");
    return base;
  }
  if (a.state.mode === "ambient" && !options.allSteps) {
    base.notes.push("already in ambient mode: nothing to do");
    return base;
  }
  if (a.state.mode === "not-meshed") {
    base.notes.push("not in the mesh (no injection label, no sidecars): nothing to migrate");
    return base;
  }

  if (!translated) return base;
  if (translationNotes(base, translated, options)) return base;
  base.applyBeforeStep1 = translated.beforeStep1.map(({ object, reason }) => ({ object, reason }));
  base.observability = namespaceObservability(ctx.inventory, ns, waypoint, ctx.mesh.rootNamespace);

  const restarts = restartsOf(ctx);
  base.manualRestarts = restarts.manual;
  const accepted = waypoint.needed ? acceptanceTargets(translated.beforeStep1.map((p) => p.object)) : [];
  // The waypoint's routes are proven against the sidecars' before step 5 deletes what they followed.
  const routesFile =
    !options.skipRouteVerify &&
    translated.beforeStep1.some((p) => meshRoute(p.object)) &&
    deleteInStep5.some((d) => d.ref.kind === "VirtualService" || d.ref.kind === "DestinationRule")
      ? routesFileFor(ns)
      : undefined;
  const drafts = [
    step1(ctx, waypoint, translated, accepted, routesFile),
    step2(ctx),
    step3(ctx, findings, options.patchForcedInjection === true),
    step4(
      restarts,
      deleteInStep5.length > 0,
      translated.afterRestart,
      options.bypassDeny ? bypassShrinks(ctx.inventory, ns) : [],
    ),
    step5(ns, deleteInStep5, routesFile, options.skipRouteVerify === true),
    step6(
      ctx,
      waypoint,
      restarts.manual.map((m) => m.ref),
      accepted,
    ),
  ];
  const reached = a.state.stepReached;
  const activate = stepNumber("activate-waypoint");
  const restart = stepNumber("restart");
  const removeInjection = stepNumber("remove-injection");
  // The waypoint step stays when a needed waypoint was never activated, even if later steps were done.
  const left = options.allSteps
    ? drafts
    : drafts.filter(
        (d) => stepNumber(d.id) > reached || (d.id === "activate-waypoint" && d.changes.length > 0),
      );
  if (!options.allSteps && reached > 0 && left.some((d) => d.id === "activate-waypoint"))
    left[0]?.notes.unshift(
      `step ${activate} was skipped before step ${reached}: activate the waypoint now, before step ${restart}`,
    );
  // The restart step's pods only get sidecars back once the injection label is back.
  const injectionChanges = drafts.find((d) => d.id === "remove-injection")?.changes ?? [];
  base.steps = left.map((d): Step => renderStep(d, d.id === "restart" ? injectionChanges : []));
  if (reached === removeInjection)
    base.steps
      .find((s) => s.id === "restart")
      ?.notes.push(
        `step ${removeInjection} was done before this plan: roll it back by re-adding the injection label the namespace had`,
      );
  return base;
}

/**
 * Sources the translation cannot carry over faithfully block the namespace, unless the user
 * accepts the losses (the sources then stay). Returns true when the namespace is blocked.
 */
function translationNotes(base: NamespacePlan, translated: TranslatedConfig, options: PlanOptions): boolean {
  const ns = base.namespace;
  for (const other of translated.waypointsElsewhere)
    base.notes.push(
      `the translated objects use the waypoint of namespace ${other}: it must exist and be programmed before step ${stepNumber("activate-waypoint")} (plan ${other} too)`,
    );
  if (translated.incomplete.length === 0) return false;
  const list = translated.incomplete.join(", ");
  if (!options.acceptTranslationLosses) {
    base.blocked = true;
    base.notes.push(
      `blocked: ${list} cannot be translated faithfully (see the translation errors; ambient-migrate translate -n ${ns} shows the full report); fix or remove them, or plan with --accept-translation-losses to keep them and migrate without what they do`,
    );
    return true;
  }
  base.notes.push(
    `--accept-translation-losses: ${list} stay (${TRANSLATION_INCOMPLETE}); after step ${stepNumber("activate-waypoint")} the waypoint follows their HTTPRoutes, without what the report says is lost`,
  );
  return false;
}

/** What istiod must accept once the waypoint is in use: routes and targetRefs policies. */
function acceptanceTargets(objects: readonly KubeObject[]): ObjectRef[] {
  return objects
    .filter((o) => o.kind === "HTTPRoute" || (o.kind === "AuthorizationPolicy" && o.spec?.targetRefs))
    .map(refOf);
}

/** The waypoint decision, from the dispositions alone: the assessment's and the translation's. */
function waypointPlan(a: NamespaceAssessment, translationWants?: string): WaypointPlan {
  const w = a.waypoint;
  const assessed = a.dispositions.flatMap((d) => (d.waypoint ? [d.waypoint] : []));
  // The translator attaches objects to the waypoint too; the plan creates it (one source of truth).
  const reasons =
    assessed.length > 0 || !translationWants ? assessed : [`${translationWants} is translated onto it`];
  const needed = reasons.length > 0;
  return {
    name: w.name,
    namespace: w.namespace,
    exists: w.exists,
    create: needed && !w.exists && w.namespace === a.namespace,
    needed,
    reason: needed ? reasons.join("; ") : "no L7 policy, mesh route or L7 extension: ztunnel alone suffices",
  };
}

/** An HTTPRoute for mesh traffic: a Service is one of its parents (GAMMA). */
function meshRoute(object: KubeObject): boolean {
  // biome-ignore lint/suspicious/noExplicitAny: raw parentRefs
  const parents = (object.spec?.parentRefs ?? []) as any[];
  return object.kind === "HTTPRoute" && parents.some((p) => p.kind === "Service" && (p.group ?? "") === "");
}

function step1(
  ctx: NamespaceContext,
  waypoint: WaypointPlan,
  { beforeStep1: translated, waypointWanted }: TranslatedConfig,
  accepted: ObjectRef[],
  routesFile: string | undefined,
): StepDraft {
  const draft: StepDraft = {
    id: "activate-waypoint",
    changes: [
      ...(routesFile ? [{ type: "record-routes", namespace: ctx.namespace, file: routesFile } as const] : []),
      ...translated.map((p): Change => ({ type: "apply", ...p })),
    ],
    gates: [],
    notes:
      translated.length > 0
        ? [
            `applies the ${translated.length} translated object(s) first (applyBeforeStep1); with sidecars still in place, sidecars honour the HTTPRoutes too`,
          ]
        : [],
  };
  if (!waypoint.needed) {
    draft.notes.push(`no waypoint needed (${waypoint.reason})`);
    return draft;
  }
  const programmed: Gate = {
    type: "waypoint-programmed",
    namespace: waypoint.namespace,
    name: waypoint.name,
  };
  if (waypoint.create) {
    draft.changes.push({
      type: "apply",
      object: waypointGateway(ctx.namespace, waypoint.name, waypointWanted),
      reason: `waypoint for ${ctx.namespace}: ${waypoint.reason}`,
      created: true,
      waitFor: programmed,
    });
  } else if (!waypoint.exists) {
    draft.notes.push(
      `waypoint ${waypoint.namespace}/${waypoint.name} is not in the input; it must exist and be programmed first`,
    );
  }
  const current = ctx.labels[L.useWaypoint] ?? null;
  if (current !== waypoint.name)
    draft.changes.push(label(ctx.namespace, L.useWaypoint, waypoint.name, current));
  // Ingress gateways skip the waypoint unless the Service says otherwise (ingress-bypasses-waypoint).
  for (const svc of ingressLabelTargets(ctx))
    draft.changes.push({
      type: "label",
      target: refOf(svc),
      key: L.ingressUseWaypoint,
      value: "true",
      previous: null,
    });
  draft.gates.push(programmed);
  if (accepted.length > 0) draft.gates.push({ type: "policies-accepted", targets: accepted });
  return draft;
}

function step2(ctx: NamespaceContext): StepDraft {
  const current = ctx.labels[L.dataplaneMode] ?? null;
  // HBONE must get through the NetworkPolicies before the pods are captured (network-policy-blocks-hbone).
  const allow = hboneAllowPolicies(ctx).map(
    ({ object, reason }): Change => ({
      type: "apply",
      object,
      reason,
      created: !ctx.list(K.NetworkPolicy).some((np) => np.metadata.name === object.metadata.name),
    }),
  );
  return {
    id: "enable-ambient",
    changes: [
      ...allow,
      ...(current === DATAPLANE_AMBIENT
        ? []
        : [label(ctx.namespace, L.dataplaneMode, DATAPLANE_AMBIENT, current)]),
    ],
    gates: [{ type: "ztunnel-workloads", namespace: ctx.namespace }],
    notes: [
      "pods keep their sidecars for now; a sidecar pod shows HBONE in ztunnel only because its sidecar speaks HBONE (nativeTunnel), the sidecar still takes precedence",
    ],
  };
}

function step3(ctx: NamespaceContext, findings: Finding[], patchForced: boolean): StepDraft {
  const templates = patchForced ? forcedTemplateChanges(ctx) : [];
  const patched = (f: Finding) => templates.some((c) => c.target.kind === f.kind && c.target.name === f.name);
  return {
    id: "remove-injection",
    changes: [
      // The namespace first: the rollout a template patch starts brings pods without sidecars.
      ...injectionLabels(ctx.labels).map(({ label: key, value }) => label(ctx.namespace, key, null, value)),
      ...templates,
    ],
    gates: [{ type: "injection-disabled", namespace: ctx.namespace }],
    notes: findings
      .filter((f) => f.code === "template-forces-injection")
      .map((f) =>
        patched(f)
          ? `${f.message}; --patch-forced-injection removes it from ${f.kind} ${f.name}'s pod template`
          : `${f.message}; fix it before step ${stepNumber("restart")} or it comes back with a sidecar`,
      ),
  };
}

/** Controllers whose pod template the plan can patch; other pods are recreated by their owner or the user. */
const PATCHABLE_TEMPLATES = new Set(["Deployment", "StatefulSet", "DaemonSet", "CronJob"]);

/**
 * The pod template keys that make the injector select a workload on its own (what
 * templateForcesInjection reports): `sidecar.istio.io/inject=true` as label or annotation, and
 * the `istio.io/rev` label. Removing them leaves injection to the namespace, which step 3 disables.
 */
function forcedTemplateChanges(ctx: NamespaceContext): Extract<Change, { type: "template-metadata" }>[] {
  const out: Extract<Change, { type: "template-metadata" }>[] = [];
  for (const { workload, sidecar } of ctx.workloads()) {
    if (!sidecar.forcedBy || !PATCHABLE_TEMPLATES.has(workload.kind)) continue;
    const target = refOf(workload.object);
    // A label the workload's selector matches on must stay (the apiserver rejects the patch).
    const selected: Record<string, string> = workload.object.spec?.selector?.matchLabels ?? {};
    const remove = (field: "labels" | "annotations", key: string, previous: string) => {
      if (field === "labels" && key in selected) return;
      out.push({ type: "template-metadata", target, field, key, value: null, previous });
    };
    const { labels, annotations } = workload.template;
    if (labels[L.podInject] === "true") remove("labels", L.podInject, "true");
    if (annotations[L.podInject] === "true") remove("annotations", L.podInject, "true");
    const revision = labels[L.revision];
    if (revision !== undefined) remove("labels", L.revision, revision);
  }
  return out;
}

interface Restarts {
  changes: Change[];
  rollouts: ObjectRef[];
  manual: Disposition[];
}

function restartsOf(ctx: NamespaceContext): Restarts {
  const out: Restarts = { changes: [], rollouts: [], manual: [] };
  for (const { workload, sidecar } of ctx.workloads()) {
    if (!sidecar.carriesSidecar) continue;
    const ref = refOf(workload.object);
    const method = restartMethodOf(workload);
    if (method === "rollout-restart") {
      out.changes.push({ type: "restart", target: ref, method });
      out.rollouts.push(ref);
    } else if (method === "delete-pods") {
      const podSelector = workload.object.spec?.selector?.matchLabels ?? workload.template.labels;
      out.changes.push({ type: "restart", target: ref, method, podSelector });
      out.manual.push({ ref, reason: `${restartExplanation(workload)} (the plan deletes its pods)` });
    } else {
      out.manual.push({ ref, reason: restartExplanation(workload) });
    }
  }
  return out;
}

function step4(
  restarts: Restarts,
  step5Deletes: boolean,
  afterRestart: readonly PlannedApply[],
  shrinks: readonly { object: KubeObject; reason: string }[],
): StepDraft {
  const rollouts: Gate | undefined =
    restarts.rollouts.length > 0 ? { type: "rollouts-complete", targets: restarts.rollouts } : undefined;
  // The bypass DENY policies only hold once the namespace's own pods are off their sidecars; and
  // only then do this namespace's callers pass the waypoints of the namespaces they call, so
  // their bypass exemptions there can go (applied whole; rollback applies the previous policy).
  const after = [
    ...afterRestart,
    ...shrinks.map(({ object, reason }) => ({ object, reason, created: false })),
  ];
  const denies = after.map(
    (p, i): Change => ({ type: "apply", ...p, ...(i === 0 && rollouts ? { waitBefore: rollouts } : {}) }),
  );
  return {
    id: "restart",
    changes: [...restarts.changes, ...denies],
    gates: restarts.rollouts.length > 0 ? [{ type: "rollouts-complete", targets: restarts.rollouts }] : [],
    notes: [
      ...(step5Deletes
        ? [
            `step ${stepNumber("remove-sidecar-config")} must follow right after: ztunnel mis-enforces the sidecar-era policies it deletes`,
          ]
        : []),
      ...restarts.manual
        .filter((m) => !restarts.changes.some((c) => c.type === "restart" && c.target.name === m.ref.name))
        .map((m) => `by hand: ${m.reason}`),
      ...(afterRestart.length > 0 && restarts.manual.length > 0
        ? [
            "the bypass DENY policies also deny the workloads renewed by hand until they are off their sidecars",
          ]
        : []),
    ],
  };
}

function step5(
  namespace: string,
  deletions: Disposition[],
  routesFile: string | undefined,
  skipRouteVerify: boolean,
): StepDraft {
  const draft: StepDraft = { id: "remove-sidecar-config", changes: [], gates: [], notes: [] };
  if (deletions.length === 0) {
    draft.notes.push("nothing to delete");
    return draft;
  }
  const file = backupFileFor(namespace);
  draft.changes.push({
    type: "backup",
    namespace,
    file,
    targets: deletions.map((d) => d.ref),
    waitFor: { type: "backup-verified", namespace, file },
    ...(routesFile
      ? { routesVerified: { type: "routes-equivalent", namespace, reference: routesFile } as const }
      : {}),
  });
  if (skipRouteVerify)
    draft.notes.push(
      "--skip-route-verify: deletes without proving that the waypoint routes as the sidecars did",
    );
  for (const d of deletions)
    draft.changes.push({ type: "delete", target: d.ref, reason: d.reason, backupFile: file });
  return draft;
}

function step6(
  ctx: NamespaceContext,
  waypoint: WaypointPlan,
  manual: ObjectRef[],
  translated: ObjectRef[],
): StepDraft {
  const ns = ctx.namespace;
  const existing = [
    ...ctx.list(K.HTTPRoute),
    ...ctx
      .authorizationPolicies()
      .filter((p) => p.policy.attachment === "targetRefs")
      .map((p) => p.object),
  ].map(refOf);
  const key = (r: ObjectRef) => `${r.kind}/${r.name}`;
  const accepted = [...existing, ...translated.filter((t) => !existing.some((e) => key(e) === key(t)))];
  return {
    id: "validate",
    changes: [],
    gates: [
      { type: "no-sidecars", namespace: ns, except: manual },
      { type: "pods-redirected", namespace: ns, except: manual },
      { type: "ztunnel-workloads", namespace: ns },
      ...(waypoint.needed
        ? [{ type: "waypoint-programmed", namespace: waypoint.namespace, name: waypoint.name } as const]
        : []),
      ...(accepted.length > 0 ? [{ type: "policies-accepted", targets: accepted } as const] : []),
    ],
    notes: waypoint.needed
      ? [
          "test the L7 behaviour your HTTPRoutes and AuthorizationPolicies define (header routing, methods, JWT)",
        ]
      : [],
  };
}

function label(namespace: string, key: string, value: string | null, previous: string | null): Change {
  return { type: "label", target: namespaceRef(namespace), key, value, previous };
}
