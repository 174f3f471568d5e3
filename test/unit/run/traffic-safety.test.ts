import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../src/inventory/model.js";
import { readJournal } from "../../../src/run/journal.js";
import { rollbackNamespace } from "../../../src/run/rollback.js";
import { migrate, rollbackOptions } from "./helpers.js";
import { l7Policy, NS, SimCluster } from "./sim.js";

const ingressRoute: KubeObject = {
  apiVersion: "networking.istio.io/v1",
  kind: "VirtualService",
  metadata: { name: "public", namespace: NS },
  spec: {
    hosts: ["shop.example.com"],
    gateways: ["istio-system/public"],
    http: [{ route: [{ destination: { host: "web" } }] }],
  },
};

const appPortOnly: KubeObject = {
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "web-8080", namespace: NS },
  spec: {
    podSelector: { matchLabels: { app: "web" } },
    ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 8080 }] }],
  },
};

/** A bypass DENY the tool applied earlier in namespace api; it still exempts shop's service account. */
const bypassElsewhere: KubeObject = {
  apiVersion: "security.istio.io/v1",
  kind: "AuthorizationPolicy",
  metadata: {
    name: "api-get-bypass-deny",
    namespace: "api",
    labels: { "app.kubernetes.io/managed-by": "ambient-migrate" },
  },
  spec: {
    selector: { matchLabels: { app: "api" } },
    action: "DENY",
    rules: [
      {
        from: [
          {
            source: {
              notPrincipals: [
                "cluster.local/ns/api/sa/waypoint",
                `cluster.local/ns/${NS}/sa/default`,
                "cluster.local/ns/batch/sa/job",
              ],
            },
          },
        ],
      },
    ],
  },
};

const get = (sim: SimCluster, kind: string, namespace: string, name: string) =>
  sim.all().find((o) => o.kind === kind && o.metadata.namespace === namespace && o.metadata.name === name);
const exempt = (sim: SimCluster) =>
  get(sim, "AuthorizationPolicy", "api", "api-get-bypass-deny")?.spec.rules[0].from[0].source.notPrincipals;

describe("traffic safety changes, made and undone", () => {
  it("labels the ingress backend (1), lets HBONE in (2), drops the migrated caller's exemption (4); rollback undoes all three", async () => {
    const sim = new SimCluster({ "istio-injection": "enabled" }, [
      l7Policy,
      ingressRoute,
      appPortOnly,
      bypassElsewhere,
    ]);
    expect(await migrate(sim, {}, { bypassDeny: true })).toBe("migrated");

    expect(get(sim, "Service", NS, "web")?.metadata.labels?.["istio.io/ingress-use-waypoint"]).toBe("true");
    expect(get(sim, "Service", NS, "db")?.metadata.labels?.["istio.io/ingress-use-waypoint"]).toBeUndefined();
    expect(get(sim, "NetworkPolicy", NS, "web-8080-ambient-hbone")?.spec.ingress[0]).toEqual({
      ports: [{ protocol: "TCP", port: 15008 }],
    });
    expect(exempt(sim)).toEqual(["cluster.local/ns/api/sa/waypoint", "cluster.local/ns/batch/sa/job"]);
    const journal = await readJournal(sim, NS);
    const stepOf = (target: string) => journal?.changes.find((c) => c.target === target)?.step;
    expect(stepOf(`Service/${NS}/web`)).toBe(1);
    expect(stepOf(`NetworkPolicy/${NS}/web-8080-ambient-hbone`)).toBe(2);
    expect(stepOf("AuthorizationPolicy/api/api-get-bypass-deny")).toBe(4);

    await rollbackNamespace(sim, NS, rollbackOptions({ timeoutMs: 2000 }));
    expect(
      get(sim, "Service", NS, "web")?.metadata.labels?.["istio.io/ingress-use-waypoint"],
    ).toBeUndefined();
    expect(get(sim, "NetworkPolicy", NS, "web-8080-ambient-hbone")).toBeUndefined();
    expect(get(sim, "NetworkPolicy", NS, "web-8080")).toBeDefined();
    expect(exempt(sim)).toEqual(bypassElsewhere.spec.rules[0].from[0].source.notPrincipals);
  }, 30_000);

  it("keeps the exemptions without --bypass-deny", async () => {
    const sim = new SimCluster({ "istio-injection": "enabled" }, [l7Policy, bypassElsewhere]);
    expect(await migrate(sim)).toBe("migrated");
    expect(exempt(sim)).toEqual(bypassElsewhere.spec.rules[0].from[0].source.notPrincipals);
  }, 30_000);
});
