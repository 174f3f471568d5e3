// Class "wrong-shaped objects": each object is checked against its kind's real schema before
// anything reasons about it. Each of these once crashed the tool (exit 1) or was silently
// accepted; now it is an invalid-object blocker naming file:line, field path and what was
// expected, it is never translated or deleted, and no command crashes on it.

import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readManifests } from "../../../src/inventory/from-files.js";
import { validateObject } from "../../../src/inventory/validate.js";
import { cli, SERVICE, tempDir } from "./helpers.js";

const NS = `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
`;
const vs = (spec: string) =>
  `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bad, namespace: shop}\nspec: ${spec}\n`;

const CASES: Record<string, { yaml: string; field: string }> = {
  "http as a map": { yaml: vs("{hosts: [web], http: {a: 1}}"), field: "spec.http" },
  "http as a string": { yaml: vs("{hosts: [web], http: nope}"), field: "spec.http" },
  "match: [null]": {
    yaml: vs("{hosts: [web], http: [{match: [null], route: [{destination: {host: web}}]}]}"),
    field: "spec.http[0].match[0]",
  },
  "route: [null]": { yaml: vs("{hosts: [web], http: [{route: [null]}]}"), field: "spec.http[0].route[0]" },
  "weight ten": {
    yaml: vs("{hosts: [web], http: [{route: [{destination: {host: web}, weight: ten}]}]}"),
    field: "spec.http[0].route[0].weight",
  },
  "corsPolicy allowMethods as a string": {
    yaml: vs(
      "{hosts: [web], http: [{route: [{destination: {host: web}}], corsPolicy: {allowMethods: GET}}]}",
    ),
    field: "spec.http[0].corsPolicy.allowMethods",
  },
  "headers.request.remove as a string": {
    yaml: vs(
      "{hosts: [web], http: [{route: [{destination: {host: web}}], headers: {request: {remove: x-y}}}]}",
    ),
    field: "spec.http[0].headers.request.remove",
  },
  "DestinationRule subsets as a map": {
    yaml: "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: bad, namespace: shop}\nspec: {host: web, subsets: {v1: {labels: {version: v1}}}}\n",
    field: "spec.subsets",
  },
  "AuthorizationPolicy rules as a map": {
    yaml: "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: bad, namespace: shop}\nspec: {rules: {a: 1}}\n",
    field: "spec.rules",
  },
  "AuthorizationPolicy action: [DENY]": {
    yaml: "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: bad, namespace: shop}\nspec: {action: [DENY]}\n",
    field: "spec.action",
  },
  'selector: "app=web"': {
    yaml: "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: bad, namespace: shop}\nspec: {selector: app=web, action: DENY}\n",
    field: "spec.selector",
  },
  "containers: [null]": {
    yaml: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bad, namespace: shop}\nspec: {selector: {matchLabels: {app: a}}, template: {metadata: {labels: {app: a}}, spec: {containers: [null]}}}\n",
    field: "spec.template.spec.containers[0]",
  },
  // The traffic-safety check reads NetworkPolicies: a string where rules go crashed assess.
  "NetworkPolicy ingress as a string": {
    yaml: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: shop}\nspec: {podSelector: {}, ingress: x}\n",
    field: "spec.ingress",
  },
  "NetworkPolicy from: 5": {
    yaml: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: shop}\nspec: {podSelector: {}, ingress: [{from: 5}]}\n",
    field: "spec.ingress[0].from",
  },
  "a namespace label value 5": {
    yaml: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop, labels: {tier: 5}}\n",
    field: "metadata.labels.tier",
  },
};

describe("invalid objects", () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: invalid-object blocker with file:line and field path; translate refuses it; nothing crashes`, async () => {
      const dir = tempDir({ "mesh.yaml": `${NS}${SERVICE}---\n${c.yaml}` });
      const file = `${dir}/mesh.yaml`;
      const assess = await cli(["assess", "-f", file, "-o", "json"]);
      expect(assess.code, assess.stderr).toBe(3);
      const finding = JSON.parse(assess.stdout).findings.find(
        (f: { code: string }) => f.code === "invalid-object",
      );
      expect(finding?.namespace).toBe("shop");
      expect(finding?.origin).toMatch(/mesh\.yaml:\d+$/);
      expect(finding?.message).toContain(`${c.field}: expected`);
      const plan = await cli(["plan", "-f", file, "-o", "json"]);
      expect(plan.code, plan.stderr).not.toBe(1);
      expect(JSON.stringify(JSON.parse(plan.stdout))).not.toMatch(/"delete[^\]]*"name":"bad"/);
      const translate = await cli(["translate", "-f", file]);
      expect(translate.code, translate.stderr).not.toBe(1);
      expect(translate.stdout).not.toContain("bad");
      const obs = await cli(["observability", "-f", file]);
      expect(obs.code, obs.stderr).not.toBe(1);
    });
  }

  it("a namespace written 0777 (a number) is an invalid object, not a crash", async () => {
    const dir = tempDir({
      "m.yaml":
        "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: 0777}\nspec: {ports: [{port: 80}]}\n",
    });
    const r = await cli(["assess", "-f", `${dir}/m.yaml`, "-o", "json"]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toContain("metadata.namespace: expected string");
  });
});

describe("null is absent, as the apiserver reads it", () => {
  it("a pod as the apiserver returns it (lastProbeTime: null) and kubectl's creationTimestamp: null are valid", () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "web-1", namespace: "shop", creationTimestamp: null },
      spec: { containers: [{ name: "web", image: "web:1" }] },
      status: {
        phase: "Running",
        conditions: [
          { type: "Ready", status: "True", lastProbeTime: null, lastTransitionTime: "2026-12-01T11:11:01Z" },
        ],
      },
    };
    expect(validateObject(pod)).toEqual([]);
    const broken = { ...pod, spec: { containers: "web" } };
    expect(validateObject(broken)).not.toEqual([]);
  });
});

describe("valid objects stay valid", () => {
  // A false invalid-object would block a namespace for nothing: real manifests must all pass.
  const paths = [
    "../../../examples/bookinfo-mesh",
    "../../../../shared/fixtures/istio-upstream/bookinfo",
  ].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  it("every object of the example and of Istio's Bookinfo samples matches its schema", () => {
    const { inventory, documents } = readManifests(paths);
    expect(documents).toBeGreaterThan(100);
    expect(
      inventory.invalid.map(
        (e) => `${e.object.kind}/${e.object.metadata?.name}: ${JSON.stringify(e.problems)}`,
      ),
    ).toEqual([]);
  });
});
