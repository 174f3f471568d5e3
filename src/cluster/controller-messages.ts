// Why a workload's pods are not coming, in the controllers' own words: a ReplicaSet's
// ReplicaFailure condition, a Deployment's Progressing condition, and the FailedCreate events
// the ReplicaSet, StatefulSet, DaemonSet and Job controllers record. They carry the apiserver's
// refusal verbatim (exceeded quota, violates PodSecurity, failed calling webhook ...), which is
// what a rollout gate must show instead of a generic hint.

import { K, type KindInfo, kindInfo } from "../inventory/kinds.js";
import type { KubeObject } from "../inventory/model.js";
import type { ClusterPort } from "./port.js";

const EVENTS: KindInfo = {
  group: "",
  version: "v1",
  kind: "Event",
  plural: "events",
  namespaced: true,
  role: "what controllers report (FailedCreate) while a rollout waits",
};

interface RawEvent {
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string };
  lastTimestamp?: string;
  eventTime?: string;
}

const when = (e: RawEvent) => e.lastTimestamp ?? e.eventTime ?? "";

type Condition = { type?: string; status?: string; reason?: string; message?: string };

const FAILURE_REASONS = /^(FailedCreate|FailedDelete|ReplicaSetCreateError|FailedPlacement)$/;

function conditions(o: KubeObject | undefined): Condition[] {
  return (o?.status?.conditions ?? []) as Condition[];
}

function revision(rs: KubeObject): number {
  return Number(rs.metadata.annotations?.["deployment.kubernetes.io/revision"] ?? 0);
}

/** The Deployment's newest ReplicaSet: the one its rollout creates pods through. */
function newestReplicaSet(deployment: KubeObject, replicaSets: KubeObject[]): KubeObject | undefined {
  return replicaSets
    .filter((rs) =>
      (rs.metadata.ownerReferences ?? []).some(
        (o) => o.kind === "Deployment" && o.name === deployment.metadata.name,
      ),
    )
    .sort((a, b) => revision(b) - revision(a))[0];
}

/**
 * The controllers' messages about why the workload's pods are not created, newest first and
 * without repeats; empty when they report nothing wrong.
 */
export async function controllerMessages(port: ClusterPort, workload: KubeObject): Promise<string[]> {
  const namespace = workload.metadata.namespace as string;
  const messages: string[] = [];
  const involved = new Set([`${workload.kind}/${workload.metadata.name}`]);
  if (workload.kind === "Deployment") {
    const progressing = conditions(workload).find((c) => c.type === "Progressing");
    if (progressing?.status === "False" || progressing?.reason === "ReplicaSetCreateError")
      messages.push(`Deployment ${progressing.reason}: ${progressing.message ?? ""}`);
    const rs = newestReplicaSet(workload, (await port.list(kindInfo(K.ReplicaSet), namespace)).items);
    if (rs) {
      involved.add(`ReplicaSet/${rs.metadata.name}`);
      const failure = conditions(rs).find((c) => c.type === "ReplicaFailure" && c.status === "True");
      if (failure)
        messages.push(
          `ReplicaSet ${rs.metadata.name} ${failure.reason ?? "ReplicaFailure"}: ${failure.message ?? ""}`,
        );
    }
  }
  const events = ((await port.list(EVENTS, namespace)).items as RawEvent[])
    .filter((e) => FAILURE_REASONS.test(e.reason ?? ""))
    .filter((e) => involved.has(`${e.involvedObject?.kind}/${e.involvedObject?.name}`))
    .sort((a, b) => when(b).localeCompare(when(a)));
  for (const e of events)
    messages.push(`${e.involvedObject?.kind} ${e.involvedObject?.name} ${e.reason}: ${e.message ?? ""}`);
  // The same refusal is often in the condition and in the event: keep it once.
  const seen = new Set<string>();
  return messages.filter((m) => {
    const text = m.slice(m.indexOf(": ") + 2);
    if (seen.has(text)) return false;
    seen.add(text);
    return true;
  });
}
