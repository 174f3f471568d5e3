// A live `status` lists only STATUS_READ: some kinds, and of ConfigMaps only the journals. These
// tests show that it shows the same from those alone as from the whole inventory: when status
// starts to read something else, they fail until STATUS_READ lists it.

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { namespaceFile } from "../../../bench/mesh-generator.js";
import { namespaceStatuses, STATUS_READ } from "../../../src/cli/actions/status.js";
import { readManifests } from "../../../src/inventory/from-files.js";
import { type KnownKindKey, kindKey } from "../../../src/inventory/kinds.js";
import { Inventory } from "../../../src/inventory/model.js";
import { journalConfigMap, newJournal } from "../../../src/run/journal.js";
import { inventoryOf } from "../hardening/helpers.js";

const repoRoot = join(import.meta.dirname, "../../..");

/** The inventory a live read of STATUS_READ would give: its kinds, and its field selectors (metadata.name=...). */
function statusKindsOnly(inventory: Inventory): Inventory {
  const wanted = new Set(STATUS_READ.kinds.map((k) => kindKey(k.group, k.kind)));
  const selectors: Record<string, { fieldSelector: string }> = STATUS_READ.listOptions;
  const narrowed = new Inventory({ type: "cluster", context: "test" });
  for (const key of Object.keys(inventory.countsByKind())) {
    if (!wanted.has(key)) continue;
    const name = /^metadata\.name=(.+)$/.exec(selectors[key]?.fieldSelector ?? "")?.[1];
    for (const o of inventory.list(key as KnownKindKey))
      if (!name || o.metadata.name === name) narrowed.add(o);
  }
  return narrowed;
}

function expectSameStatus(inventory: Inventory): void {
  const namespaces = inventory.namespaceNames();
  const narrowed = statusKindsOnly(inventory);
  expect(narrowed.count()).toBeLessThan(inventory.count());
  expect(namespaceStatuses(narrowed, namespaces)).toEqual(namespaceStatuses(inventory, namespaces));
}

/** Pods with sidecars, a journal, a programmed waypoint, a bypass DENY exempting sidecar callers, a moved root namespace. */
const MIGRATING = `
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: mesh-root}
data:
  mesh: |
    rootNamespace: mesh-root
---
apiVersion: v1
kind: Namespace
metadata: {name: mesh-root}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: mesh-wide, namespace: mesh-root}
spec: {action: DENY, rules: [{from: [{source: {notPrincipals: ["cluster.local/ns/caller/sa/app"]}}]}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: waypoint, namespace: shop, labels: {istio.io/waypoint-for: service}}
spec: {gatewayClassName: istio-waypoint, listeners: [{name: mesh, port: 15008, protocol: HBONE}]}
status: {conditions: [{type: Programmed, status: "True"}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: api-bypass-deny
  namespace: shop
  labels: {app.kubernetes.io/managed-by: ambient-migrate}
spec:
  selector: {matchLabels: {app: api}}
  action: DENY
  rules: [{from: [{source: {notPrincipals: ["cluster.local/ns/shop/sa/waypoint", "cluster.local/ns/caller/sa/app"]}}]}]
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {selector: {app: api}, ports: [{name: http, port: 80}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: shop}
spec: {hosts: [api], http: [{timeout: 5s, route: [{destination: {host: api}}]}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-1
  namespace: shop
  labels: {app: api}
  annotations: {ambient.istio.io/redirection: enabled}
spec: {containers: [{name: api, image: api}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: caller, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Pod
metadata:
  name: app-1
  namespace: caller
  labels: {app: app}
  annotations: {sidecar.istio.io/status: '{"containers":["istio-proxy"]}'}
spec: {serviceAccountName: app, containers: [{name: app, image: app}, {name: istio-proxy, image: proxyv2}]}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: caller}
`;

describe("status shows the same from what STATUS_READ lists as from everything", () => {
  it("on the example mesh", () => {
    expectSameStatus(readManifests([join(repoRoot, "examples/bookinfo-mesh")]).inventory);
  });

  it("on 40 namespaces of the benchmark mesh (revisions, ambient, forced injection, pods, bare pods)", () => {
    const { inventory, problems } = inventoryOf(
      Array.from({ length: 40 }, (_, i) => namespaceFile(i)).join("---\n"),
    );
    expect(problems).toEqual([]);
    expectSameStatus(inventory);
  });

  it("on a namespace mid-migration: journal, waypoint, bypass DENY, a moved root namespace", () => {
    const { inventory, problems } = inventoryOf(MIGRATING);
    expect(problems).toEqual([]);
    const journal = newJournal(
      { namespace: "shop", steps: [] } as never,
      "host-1-abc",
      new Date("2026-11-01"),
    );
    journal.currentStep = 4;
    inventory.add(journalConfigMap(journal));
    const statuses = namespaceStatuses(inventory, ["shop"]);
    // The case is what it says: each of these comes from something STATUS_READ must keep.
    expect(statuses[0]).toMatchObject({ state: "at step 4", waypoint: "waypoint (programmed)" });
    expect(statuses[0]?.bypassExempt).toEqual(["caller"]);
    expectSameStatus(inventory);
  });
});
