// The namespace no longer selects the sidecar injector.

import { K, kindInfo } from "../inventory/kinds.js";
import { labelsOf } from "../inventory/model.js";
import { namespaceInjection } from "../mesh/injection.js";
import { L } from "../mesh/labels.js";
import type { GateHandler } from "./handler.js";
import { watchUntil } from "./observe.js";

/** The namespace no longer selects the sidecar injector. */
export interface InjectionDisabledGate {
  type: "injection-disabled";
  namespace: string;
}

export const injectionDisabled: GateHandler<InjectionDisabledGate> = {
  describe: (gate) => `namespace ${gate.namespace} no longer selects the sidecar injector`,
  verify: (gate) => [
    `test -z "$(kubectl get namespace ${gate.namespace} -o jsonpath='{.metadata.labels.${L.injection}}{.metadata.labels.${L.revision.replace(".", "\\.")}}')"  # no injection label left`,
  ],
  observe: (gate, ctx) =>
    watchUntil(
      ctx,
      kindInfo(K.Namespace),
      undefined,
      (namespaces) => {
        const ns = namespaces.find((n) => n.metadata.name === gate.namespace);
        if (!ns) return "the namespace does not exist";
        const injection = namespaceInjection(labelsOf(ns));
        return injection.mode === "injection-label" || injection.mode === "revision"
          ? `still labelled ${injection.label}=${injection.value}`
          : undefined;
      },
      injectionDisabled.describe(gate),
    ),
};
