// Step 5: which sidecar-era objects go and which stay, one disposition per object, from the two
// that decide it: the assessment's (assess/dispositions.ts: sidecar-only, or kept and why) and
// the translation's (replaced, lost, or not replaced). Nothing here looks at findings.

import type { NamespaceContext } from "../assess/context.js";
import type { AssessedDisposition } from "../assess/dispositions.js";
import { serviceOfHost, subsetsUsedBy } from "../assess/routing.js";
import { objectKey } from "../inventory/identity.js";
import { K } from "../inventory/kinds.js";
import type { Disposition } from "./model.js";
import type { TranslatedConfig } from "./translated.js";

export const TRANSLATION_INCOMPLETE = "translation incomplete: see translate report";

const NOT_REPLACED = "not replaced by the translation: see translate report";

interface Step5 {
  delete: Disposition[];
  keep: Disposition[];
}

/**
 * Step 5 deletes only what the translation fully replaced, and of that only what the assessment
 * did not keep (an object other kept objects use, or one an ingress gateway still needs).
 * Without a translation (a namespace that does not migrate), the assessment's decisions alone.
 */
export function step5Dispositions(
  ctx: NamespaceContext,
  assessed: readonly AssessedDisposition[],
  translated: TranslatedConfig | undefined,
): Step5 {
  const of = (fate: AssessedDisposition["fate"]) =>
    assessed.filter((d) => d.fate === fate).map(({ ref, reason }): Disposition => ({ ref, reason }));
  const out: Step5 = { delete: [], keep: of("keep") };
  if (!translated) return { ...out, delete: of("delete") };
  const subsetUsers = subsetsOfKeptVirtualServices(ctx, translated);
  for (const d of of("delete")) {
    const users = d.ref.kind === "DestinationRule" ? subsetUsers(d.ref.name) : [];
    const outcome = translated.sources.get(objectKey(d.ref))?.outcome;
    if (users.length > 0)
      out.keep.push({ ref: d.ref, reason: `its subsets are used by ${users.join(", ")}, kept` });
    else if (outcome === "replaced") out.delete.push(d);
    else
      out.keep.push({
        ref: d.ref,
        reason: outcome === "lost" ? TRANSLATION_INCOMPLETE : NOT_REPLACED,
      });
  }
  // Every other source the translator saw: what it replaced goes too, the rest stays.
  const listed = new Set(assessed.map((d) => objectKey(d.ref)));
  for (const [key, d] of translated.sources) {
    if (listed.has(key)) continue;
    if (d.outcome === "replaced")
      out.delete.push({ ref: d.source, reason: "replaced by the translated objects applied in step 1" });
    else
      out.keep.push({ ref: d.source, reason: d.outcome === "lost" ? TRANSLATION_INCOMPLETE : NOT_REPLACED });
  }
  return out;
}

/** For a DestinationRule's name: the VirtualServices that stay (not replaced) and use its subsets. */
function subsetsOfKeptVirtualServices(
  ctx: NamespaceContext,
  translated: TranslatedConfig,
): (ruleName: string) => string[] {
  const users = new Map<string, Set<string>>();
  for (const vs of ctx.list(K.VirtualService)) {
    if (translated.sources.get(objectKey(vs))?.outcome === "replaced") continue;
    for (const subset of subsetsUsedBy(vs)) {
      const service = subset.slice(0, subset.lastIndexOf("/"));
      users.set(service, (users.get(service) ?? new Set()).add(`VirtualService/${vs.metadata.name}`));
    }
  }
  return (ruleName) => {
    const rule = ctx.inventory.get(K.DestinationRule, ctx.namespace, ruleName);
    const svc = rule ? serviceOfHost(String(rule.spec?.host ?? ""), ctx.namespace) : undefined;
    return svc ? [...(users.get(`${svc.namespace}/${svc.name}`) ?? [])].sort() : [];
  };
}
