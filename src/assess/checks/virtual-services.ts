// VirtualServices: mesh routes need an HTTPRoute (and a waypoint) in ambient mode; routes bound
// only to ingress gateways are read by the gateway, not by sidecars, and stay. Features with no
// HTTPRoute equivalent are named, never dropped silently.

import type { NamespaceCheck } from "../check.js";
import { ingressGatewaysOf, unsupportedVsFeatures } from "../routing.js";
import { waypointPhrase } from "./authorization-policies.js";

export const virtualServices: NamespaceCheck = (ctx) =>
  ctx.virtualServices().flatMap(({ object, binding }) => {
    const name = object.metadata.name;
    const hosts = ((object.spec?.hosts ?? []) as string[]).join(", ");
    if (binding === "ingress") {
      return [
        ctx.finding(
          "virtual-service-ingress-only",
          object,
          `VirtualService ${name} is bound only to gateway(s) ${ingressGatewaysOf(object).join(", ")}: it is not a mesh route and the ingress gateway keeps reading it`,
          "keep it",
        ),
      ];
    }
    const alsoIngress =
      binding === "mesh-and-ingress"
        ? `; it is also bound to gateway(s) ${ingressGatewaysOf(object).join(", ")}, so remove "mesh" from its gateways instead of deleting it`
        : "";
    const out = [
      ctx.finding(
        "virtual-service-mesh-route",
        object,
        `VirtualService ${name} routes mesh traffic for ${hosts || "(no hosts)"}; in ambient mode only a waypoint applies routes, as HTTPRoute with the Service as parentRef; ${waypointPhrase(ctx)}${alsoIngress}`,
        `write the equivalent HTTPRoute(s) before step 1, and ${binding === "mesh" ? `delete ${name}` : `drop "mesh" from ${name}'s gateways`} in step 5`,
      ),
    ];
    const lost = unsupportedVsFeatures(object);
    if (lost.length > 0) {
      out.push(
        ctx.finding(
          "virtual-service-unsupported-feature",
          object,
          `VirtualService ${name} uses ${lost.join(", ")}, which HTTPRoute cannot express: this behaviour is lost after migration`,
          "decide how to live without it (e.g. fault injection via a test tool, separate Services instead of sourceLabels) before migrating",
        ),
      );
    }
    return out;
  });
