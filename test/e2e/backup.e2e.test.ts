// A backup re-creates what it saved: back up a namespace full of Istio and Gateway API objects,
// delete them, `kubectl apply -f` the file with the testbed's real kubectl, and compare object by
// object with what was there before.

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBackup } from "../../src/backup/backup.js";
import { stripServerFields } from "../../src/backup/strip.js";
import type { KubeObject } from "../../src/inventory/model.js";
import { apply, cli, createNamespace, deleteNamespaces, fixtures, kubectl, kubectlJson } from "./harness.js";

const ISTIO_AND_GATEWAY_KINDS = [
  "virtualservices.networking.istio.io",
  "destinationrules.networking.istio.io",
  "gateways.networking.istio.io",
  "serviceentries.networking.istio.io",
  "sidecars.networking.istio.io",
  "envoyfilters.networking.istio.io",
  "authorizationpolicies.security.istio.io",
  "peerauthentications.security.istio.io",
  "requestauthentications.security.istio.io",
  "telemetries.telemetry.istio.io",
  "wasmplugins.extensions.istio.io",
  "gateways.gateway.networking.k8s.io",
  "httproutes.gateway.networking.k8s.io",
  "grpcroutes.gateway.networking.k8s.io",
  "referencegrants.gateway.networking.k8s.io",
];

const extra = (ns: string) => `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: productpage-l7, labels: {team: "yes"}, annotations: {note: "on"}}
spec:
  selector: {matchLabels: {app: productpage}}
  action: ALLOW
  rules: [{to: [{operation: {methods: ["GET"], paths: ["/productpage"]}}]}]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt}
spec:
  selector: {matchLabels: {app: productpage}}
  jwtRules: [{issuer: "https://issuer.example", jwksUri: "https://issuer.example/jwks"}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext}
spec: {hosts: [api.example.com], ports: [{number: 443, name: https, protocol: TLS}], resolution: DNS, location: MESH_EXTERNAL}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default}
spec: {egress: [{hosts: ["./*", "istio-system/*"]}]}
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: lua}
spec:
  workloadSelector: {labels: {app: productpage}}
  configPatches: []
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: logs}
spec: {accessLogging: [{providers: [{name: envoy}]}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: reviews-route}
spec:
  parentRefs: [{group: "", kind: Service, name: reviews, port: 9080}]
  rules: [{backendRefs: [{name: reviews, port: 9080}]}]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: from-${ns}}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: ${ns}}]
  to: [{group: "", kind: Service}]
`;

async function current(namespace: string): Promise<KubeObject[]> {
  const list = await kubectlJson<{ items: KubeObject[] }>([
    "-n",
    namespace,
    "get",
    ISTIO_AND_GATEWAY_KINDS.join(","),
  ]);
  return list.items;
}

const key = (o: KubeObject) => `${o.apiVersion.split("/")[0]}/${o.kind}/${o.metadata.name}`;

describe("backup", () => {
  let ns: string;
  const dir = mkdtempSync(join(tmpdir(), "am-backup-e2e-"));

  beforeAll(async () => {
    ns = await createNamespace("bk", { "istio-injection": "enabled" });
    const networking = `${fixtures}/bookinfo/networking`;
    await apply(readFileSync(`${fixtures}/bookinfo/platform/bookinfo.yaml`, "utf8"), ns);
    await apply(readFileSync(`${networking}/destination-rule-all.yaml`, "utf8"), ns);
    await apply(readFileSync(`${networking}/virtual-service-reviews-90-10.yaml`, "utf8"), ns);
    await apply(readFileSync(`${networking}/bookinfo-gateway.yaml`, "utf8"), ns);
    await apply(extra(ns), ns);
  });

  afterAll(deleteNamespaces);

  it("re-creates every object with kubectl apply after they are deleted, field for field", async () => {
    const before = await current(ns);
    expect(before.length).toBeGreaterThanOrEqual(12);
    const file = join(dir, `${ns}.yaml`);
    const result = await cli(["backup", "-n", ns, "--out", file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(file);

    const text = readFileSync(file, "utf8");
    expect(text).toMatch(/^# ambient-migrate backup/);
    expect(text).toMatch(/^# context: /m);
    const saved = readBackup(text, file);
    expect(saved.map((o) => o.kind)).toContain("Namespace");
    expect(
      saved
        .filter((o) => o.kind === "Service")
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(["details", "productpage", "ratings", "reviews"]);
    for (const o of saved) {
      expect(o.metadata.resourceVersion).toBeUndefined();
      expect(o.metadata.uid).toBeUndefined();
      expect(o.status).toBeUndefined();
    }

    await kubectl(["-n", ns, "delete", ISTIO_AND_GATEWAY_KINDS.join(","), "--all", "--wait=true"]);
    expect(await current(ns)).toEqual([]);

    const restored = await kubectl(["apply", "-f", file]);
    expect(restored.stderr).not.toMatch(/error/i);

    const after = new Map((await current(ns)).map((o) => [key(o), stripServerFields(o)]));
    expect([...after.keys()].sort()).toEqual(before.map(key).sort());
    for (const object of before)
      expect(after.get(key(object)), key(object)).toEqual(stripServerFields(object));
  });

  it("refuses to overwrite an existing backup file (exit 2)", async () => {
    const file = join(dir, "twice.yaml");
    expect((await cli(["backup", "-n", ns, "--out", file])).code).toBe(0);
    const again = await cli(["backup", "-n", ns, "--out", file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("exists already");
  });

  it("names a namespace that does not exist (exit 5)", async () => {
    const result = await cli(["backup", "-n", "no-such-namespace-here", "--out", join(dir, "none.yaml")]);
    expect(result.code).toBe(5);
  });
});
