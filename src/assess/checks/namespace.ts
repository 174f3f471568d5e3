// Each namespace's place on the road from sidecars to ambient, and whether its labels are
// known at all (file input may hold objects of a namespace without its Namespace object).

import { L } from "../../mesh/labels.js";
import type { NamespaceCheck } from "../check.js";

export const namespaceState: NamespaceCheck = (ctx) => {
  const state = ctx.state();
  const nsObject = ctx.namespaceObject ?? {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: ctx.namespace },
  };
  const remedy: Record<typeof state.mode, string> = {
    "not-meshed": "nothing to migrate: the namespace has no sidecars",
    sidecar: "migrate it with the six steps of `ambient-migrate plan`",
    migrating: `finish the remaining steps (after step ${state.stepReached}) of \`ambient-migrate plan\``,
    ambient: "nothing to do",
  };
  const out = [
    ctx.finding(
      "namespace-state",
      nsObject,
      `namespace ${ctx.namespace}: ${state.summary}`,
      remedy[state.mode],
    ),
  ];
  if (!ctx.namespaceObject) {
    out.push(
      ctx.finding(
        "namespace-object-missing",
        nsObject,
        `objects name namespace ${ctx.namespace} but its Namespace object is not in the input: its ${L.injection}, ${L.revision} and ${L.dataplaneMode} labels are unknown`,
        "add the Namespace object to the input (kubectl get namespace NS -o yaml)",
      ),
    );
  }
  return out;
};
