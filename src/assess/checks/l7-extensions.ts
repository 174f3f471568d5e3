// RequestAuthentication (JWT) and WasmPlugin are L7: ztunnel ignores them, so with a workload
// selector (or namespace-wide) they stop applying unless moved to the waypoint with targetRefs.

import { K } from "../../inventory/kinds.js";
import { attachmentOf } from "../../mesh/authorization.js";
import type { NamespaceCheck } from "../check.js";
import { waypointPhrase } from "./authorization-policies.js";

export const l7Extensions: NamespaceCheck = (ctx) =>
  (
    [
      [K.RequestAuthentication, "request-authentication-selector", "JWT validation"],
      [K.WasmPlugin, "wasm-plugin-selector", "the Wasm extension"],
    ] as const
  ).flatMap(([kind, code, what]) =>
    ctx.list(kind).flatMap((object) => {
      const attachment = attachmentOf(object.spec);
      if (attachment === "targetRefs") return [];
      const scope = attachment === "selector" ? "with a workload selector" : "namespace-wide";
      return [
        ctx.finding(
          code,
          object,
          `${object.kind} ${object.metadata.name} applies ${scope}; ztunnel does not run ${what}, so it stops applying once sidecars are gone; ${waypointPhrase(ctx)}`,
          `write its equivalent with targetRefs to the waypoint before step 1, and delete ${object.metadata.name} in step 5`,
        ),
      ];
    }),
  );
