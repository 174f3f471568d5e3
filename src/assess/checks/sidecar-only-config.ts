// Config that only sidecars read: EnvoyFilter (ztunnel is not Envoy, and waypoints do not
// support EnvoyFilter) and the Sidecar resource (scopes a sidecar's config; no sidecar, no effect).

import { K } from "../../inventory/kinds.js";
import type { NamespaceCheck } from "../check.js";

export const sidecarOnlyConfig: NamespaceCheck = (ctx) => [
  ...ctx
    .list(K.EnvoyFilter)
    .map((ef) =>
      ctx.finding(
        "envoy-filter",
        ef,
        `EnvoyFilter ${ef.metadata.name} patches sidecar Envoy config; ztunnel ignores it and waypoints do not support EnvoyFilter, so its behaviour is lost after step 4`,
        "replace what it does with a supported API (HTTPRoute filters, WasmPlugin with targetRefs, Telemetry) or keep the workloads on sidecars",
      ),
    ),
  ...ctx
    .list(K.Sidecar)
    .map((sc) =>
      ctx.finding(
        "sidecar-resource",
        sc,
        `Sidecar ${sc.metadata.name} scopes sidecar proxies (egress hosts, ports); it has no effect in ambient mode, so any egress restriction it made is lost`,
        "if it restricted egress, recreate the restriction (e.g. AuthorizationPolicy on an egress waypoint); delete it once no sidecar remains",
      ),
    ),
];
