import { describe, expect, it } from "vitest";
import { changeRollback } from "../../../src/changes/index.js";
import { gateVerify } from "../../../src/gates/index.js";
import { resourceOf } from "../../../src/kubectl.js";
import type { Change, Gate } from "../../../src/plan/model.js";
import { renderStep } from "../../../src/plan/render-kubectl.js";

const ns = { apiVersion: "v1", kind: "Namespace", name: "shop" };

describe("render-kubectl", () => {
  it("names resources unambiguously (Istio vs Gateway API Gateway)", () => {
    expect(resourceOf({ apiVersion: "networking.istio.io/v1", kind: "Gateway" })).toBe(
      "gateways.networking.istio.io",
    );
    expect(resourceOf({ apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway" })).toBe(
      "gateways.gateway.networking.k8s.io",
    );
    expect(resourceOf({ apiVersion: "apps/v1", kind: "DaemonSet" })).toBe("daemonset");
  });

  it("rolls a label back to the value the input showed, or removes it", () => {
    const set: Change = {
      type: "label",
      target: ns,
      key: "istio.io/use-waypoint",
      value: "wp",
      previous: "old",
    };
    expect(changeRollback(set)).toEqual([
      "kubectl label namespace shop istio.io/use-waypoint=old --overwrite",
    ]);
    expect(changeRollback({ ...set, previous: null })).toEqual([
      "kubectl label namespace shop istio.io/use-waypoint-",
    ]);
  });

  it("renders a verification for every gate type", () => {
    const ref = {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      namespace: "shop",
      name: "r",
    };
    const policy = {
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      namespace: "shop",
      name: "p",
    };
    const gates: Gate[] = [
      { type: "waypoint-programmed", namespace: "shop", name: "waypoint" },
      { type: "ztunnel-workloads", namespace: "shop" },
      { type: "injection-disabled", namespace: "shop" },
      {
        type: "rollouts-complete",
        targets: [{ apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "d" }],
      },
      { type: "backup-verified", namespace: "shop", file: "b.json" },
      { type: "no-sidecars", namespace: "shop", except: [] },
      { type: "pods-redirected", namespace: "shop", except: [] },
      { type: "policies-accepted", targets: [ref, policy] },
    ];
    for (const gate of gates) expect(gateVerify(gate).length).toBeGreaterThan(0);
    expect(gateVerify(gates[2] as Gate)[0]).toBe(
      "test -z \"$(kubectl get namespace shop -o jsonpath='{.metadata.labels.istio-injection}{.metadata.labels.istio\\.io/rev}')\"  # no injection label left",
    );
    expect(gateVerify(gates[7] as Gate)).toEqual([
      `kubectl get httproutes.gateway.networking.k8s.io r -n shop -o jsonpath='{.status.parents[*].conditions[?(@.type=="Accepted")].status}'  # True`,
      `kubectl get authorizationpolicies.security.istio.io p -n shop -o jsonpath='{.status.conditions[?(@.type=="WaypointAccepted")].status}'  # True`,
    ]);
  });

  it("undoes a step's changes in reverse order, after the changes it must restore first", () => {
    const step3: Change = { type: "label", target: ns, key: "istio.io/rev", value: null, previous: "1-26" };
    const restart: Change = {
      type: "restart",
      target: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web" },
      method: "rollout-restart",
    };
    const step = renderStep({ id: "restart", changes: [restart], gates: [], notes: [] }, [step3]);
    expect(step.rollback).toEqual([
      "kubectl label namespace shop istio.io/rev=1-26 --overwrite",
      "kubectl rollout restart deployment/web -n shop",
      "kubectl rollout status deployment/web -n shop --timeout=10m  # pods show 2/2 again",
    ]);
  });

  it("renders a step's kubectl lines on first read, and writes them in JSON in their place", () => {
    const restart: Change = {
      type: "restart",
      target: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web" },
      method: "rollout-restart",
    };
    const step = renderStep({ id: "restart", changes: [restart], gates: [], notes: [] });
    expect(Object.keys(step)).toEqual([
      "id",
      "step",
      "title",
      "changes",
      "gates",
      "notes",
      "commands",
      "verify",
      "rollback",
    ]);
    const json = JSON.parse(JSON.stringify(step));
    expect(Object.keys(json)).toEqual(Object.keys(step));
    expect(json.commands).toEqual(["kubectl rollout restart deployment/web -n shop"]);
    // Read once, a field is a plain value from then on (and stays the same array).
    expect(step.commands).toBe(step.commands);
    expect(Object.getOwnPropertyDescriptor(step, "commands")).toMatchObject({ writable: true });
    // Two steps never share what they render from.
    const other = renderStep({ id: "restart", changes: [], gates: [], notes: [] });
    expect(other.commands).toEqual([]);
    expect(other.rollback).toEqual([]);
  });
});
