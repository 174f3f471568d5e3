// DestinationRule subsets have no Gateway API equivalent: each subset becomes a Service of its
// own (<svc>-<subset>, selector = parent selector + subset labels) for HTTPRoute backendRefs.

import { K } from "../../inventory/kinds.js";
import type { NamespaceCheck } from "../check.js";
import { hasTrafficPolicy } from "../routing.js";

export const destinationRules: NamespaceCheck = (ctx) =>
  ctx.list(K.DestinationRule).flatMap((dr) => {
    const subsets = ((dr.spec?.subsets ?? []) as { name?: string }[]).map((s) => s.name ?? "?");
    if (subsets.length === 0) return [];
    const host = String(dr.spec?.host ?? "");
    const keep = hasTrafficPolicy(dr)
      ? "; its traffic policy still applies at waypoints, so keep the rule for the new Services"
      : "";
    return [
      ctx.finding(
        "destination-rule-subsets",
        dr,
        `DestinationRule ${dr.metadata.name} defines subsets ${subsets.join(", ")} of ${host}; HTTPRoute backends are Services, so each subset needs a Service of its own${keep}`,
        `create Services ${subsets.map((s) => `${host.split(".")[0]}-${s}`).join(", ")} (parent selector plus the subset labels) before step 1`,
      ),
    ];
  });
