// Every pod is captured by ztunnel itself: redirection annotation set by the CNI, and listed by
// ztunnel as HBONE without nativeTunnel (a sidecar pod shows HBONE only through its own sidecar).

import { capturedByZtunnel } from "../cluster/ztunnel.js";
import type { ObjectRef } from "../inventory/identity.js";
import { K, kindInfo } from "../inventory/kinds.js";
import { annotationsOf } from "../inventory/model.js";
import { A } from "../mesh/labels.js";
import type { GateHandler } from "./handler.js";
import { exceptFilter } from "./lines.js";
import {
  meshPod,
  names,
  podOwnedBy,
  pollZtunnel,
  terminating,
  watchUntil,
  ztunnelPending,
} from "./observe.js";

/** Pods carry ambient.istio.io/redirection=enabled; ztunnel lists them HBONE without nativeTunnel. */
export interface PodsRedirectedGate {
  type: "pods-redirected";
  namespace: string;
  except: ObjectRef[];
}

export const podsRedirected: GateHandler<PodsRedirectedGate> = {
  describe: (gate) =>
    `pods of ${gate.namespace} redirected to ztunnel (${A.redirection}=enabled, HBONE without nativeTunnel)`,
  verify: (gate) => [
    `kubectl get pods -n ${gate.namespace} -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.metadata.annotations.ambient\\.istio\\.io/redirection}{"\\n"}{end}'${exceptFilter(gate.except)} | awk '$2 != "enabled" {print "not redirected: " $1; bad=1} END {exit bad}'`,
    `! istioctl ztunnel-config workloads --workload-namespace ${gate.namespace} -o json | grep -q '"nativeTunnel": true'  # ztunnel itself carries the traffic, not a sidecar`,
  ],
  async observe(gate, ctx) {
    const what = podsRedirected.describe(gate);
    const annotated = await watchUntil(
      ctx,
      kindInfo(K.Pod),
      gate.namespace,
      (pods) => {
        const left = pods.filter(
          (p) =>
            meshPod(p) &&
            !terminating(p) &&
            !podOwnedBy(p, gate.except) &&
            annotationsOf(p)[A.redirection] !== "enabled",
        );
        return left.length === 0 ? undefined : `${left.length} pod(s) not redirected: ${names(left)}`;
      },
      what,
    );
    if (!annotated.passed) return annotated;
    return pollZtunnel(
      ctx,
      (config, pods) => ztunnelPending(config, pods, gate.namespace, capturedByZtunnel, gate.except),
      gate.namespace,
      what,
    );
  },
};
