// The report's data: what assess, plan, translate and the journals say about the selected
// namespaces, gathered once so that the HTML (or -o json|yaml) is only a rendering of it. Pure.

import { type Assessment, assess } from "../assess/assess.js";
import { MeshContext } from "../assess/context.js";
import type { Finding } from "../assess/finding.js";
import { K, type KnownKindKey } from "../inventory/kinds.js";
import { annotationsOf, type Inventory, type KubeObject } from "../inventory/model.js";
import { buildPlan } from "../plan/build.js";
import type { NamespacePlan, Plan } from "../plan/model.js";
import type { PlanOptions } from "../plan/options.js";
import { JOURNAL_NAME, type Journal, journalFromConfigMap, journalSummary } from "../run/journal.js";
import { type ReportEntry, translate } from "../translate/index.js";
import { SOURCE_ANNOTATION, sourceName } from "../translate/meta.js";
import type { Wave } from "../waves/order.js";
import { wavesOf } from "../waves/waves.js";

/** One translated source object beside what it became, with the report's entries about it. */
export interface TranslationPair {
  source: KubeObject;
  translated: KubeObject[];
  entries: ReportEntry[];
}

export interface NamespaceReport {
  namespace: string;
  findings: Finding[];
  plan: NamespacePlan;
  translations: TranslationPair[];
  journal?: { summary: string; journal: Journal };
}

export interface ReportData {
  generatedAt: string;
  /** Where the mesh was read: the -f paths, or the kubeconfig context. */
  source: string;
  /** Findings that concern every namespace (control plane, root namespace). */
  meshFindings: Finding[];
  namespaces: NamespaceReport[];
  assessment: Assessment;
  plan: Plan;
  /** The order plan --waves gives, and the calls between the namespaces it orders (the graph's arrows). */
  waves: { waves: Wave[]; calls: { from: string; to: string; evidence: string[] }[] };
}

const TRANSLATED_KINDS: KnownKindKey[] = [
  K.VirtualService,
  K.DestinationRule,
  K.AuthorizationPolicy,
  K.RequestAuthentication,
  K.WasmPlugin,
];

export function buildReport(
  inventory: Inventory,
  namespaces: readonly string[],
  options: PlanOptions & { now?: Date } = {},
): ReportData {
  const assessment = assess(inventory, namespaces, options);
  const plan = buildPlan(inventory, assessment, options);
  // Every namespace is translated here, blocked or not: the report shows what a blocker hides.
  const translation = translate(inventory, namespaces, {
    ...(options.rootNamespace ? { rootNamespace: options.rootNamespace } : {}),
    ...(options.bypassDeny ? { bypassDeny: true } : {}),
  });
  const produced = new Map<string, KubeObject[]>();
  for (const object of [...translation.objects, ...translation.afterRestart]) {
    const from = annotationsOf(object)[SOURCE_ANNOTATION];
    if (from) produced.set(from, [...(produced.get(from) ?? []), object]);
  }
  const entries = new Map<string, ReportEntry[]>();
  for (const e of translation.report) {
    const key = `${e.source.kind}/${e.source.namespace}/${e.source.name}`;
    entries.set(key, [...(entries.get(key) ?? []), e]);
  }
  const source = inventory.source;
  const waves = wavesOf(inventory, plan);
  const ordered = new Set(waves.flatMap((w) => w.namespaces));
  const calls = new MeshContext(inventory)
    .callGraph()
    .all()
    .filter((e) => ordered.has(e.from) && ordered.has(e.to));
  return {
    waves: { waves, calls },
    generatedAt: (options.now ?? new Date()).toISOString(),
    source:
      source.type === "files" ? `files: ${source.paths.join(", ")}` : `cluster: context ${source.context}`,
    meshFindings: assessment.findings.filter((f) => f.scope === "mesh"),
    assessment,
    plan,
    namespaces: plan.namespaces.map((nsPlan) => {
      const namespace = nsPlan.namespace;
      const translations: TranslationPair[] = [];
      for (const kind of TRANSLATED_KINDS) {
        for (const object of inventory.inNamespace(kind, namespace)) {
          const key = sourceName(object);
          const pair = {
            source: object,
            translated: produced.get(key) ?? [],
            entries: entries.get(key) ?? [],
          };
          if (pair.translated.length > 0 || pair.entries.length > 0) translations.push(pair);
        }
      }
      const journal = journalFromConfigMap(
        inventory.inNamespace(K.ConfigMap, namespace).find((c) => c.metadata.name === JOURNAL_NAME),
      );
      return {
        namespace,
        findings: assessment.findings.filter((f) => f.scope === "namespace" && f.namespace === namespace),
        plan: nsPlan,
        translations,
        ...(journal ? { journal: { summary: journalSummary(journal), journal } } : {}),
      };
    }),
  };
}
