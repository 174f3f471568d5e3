// One root namespace: the mesh config's `rootNamespace` unless --root-namespace names another;
// assess, translate, plan and observability all see the same one.

import { describe, expect, it } from "vitest";
import { assess } from "../../../src/assess/assess.js";
import { rootNamespaceOf } from "../../../src/mesh/mesh-config.js";
import { observabilityChangesFor } from "../../../src/observability/changes.js";
import { planNamespaces } from "../../../src/plan/build.js";
import { translate } from "../../../src/translate/index.js";
import { inventoryOf, namespaceYaml } from "../assess/helpers.js";

const MESH = `apiVersion: v1
kind: ConfigMap
metadata: { name: istio, namespace: istio-system }
data:
  mesh: |
    rootNamespace: mesh-root
---
`;

// A selector policy in the configured root namespace applies to every namespace's workloads.
const ROOT_POLICY = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: get-only, namespace: mesh-root }
spec:
  selector: { matchLabels: { app: web } }
  rules: [ { to: [ { operation: { methods: [GET] } } ] } ]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: mesh-root }
spec: { mtls: { mode: STRICT } }
---
`;

const inventory = inventoryOf(
  `${MESH}${namespaceYaml("mesh-root")}${namespaceYaml("shop", { "istio-injection": "enabled" })}${ROOT_POLICY}`,
);

const rootError = (namespaces: string[], rootNamespace?: string) =>
  translate(inventory, namespaces, rootNamespace ? { rootNamespace } : {}).report.some(
    (e) => e.level === "error" && e.message.includes("root namespace"),
  );

describe("the root namespace", () => {
  it("comes from the mesh config, or from the flag", () => {
    expect(rootNamespaceOf(inventory)).toBe("mesh-root");
    expect(rootNamespaceOf(inventory, "other")).toBe("other");
    expect(rootNamespaceOf(inventoryOf(namespaceYaml("shop")))).toBe("istio-system");
  });

  it("is the one translate, observability and the plan use", () => {
    expect(rootError(["mesh-root"])).toBe(true);
    expect(rootError(["mesh-root"], "istio-system")).toBe(false);
    expect(observabilityChangesFor(inventory, "shop").strictMtls).toBe(true);
    expect(observabilityChangesFor(inventory, "shop", "istio-system").strictMtls).toBe(false);
    const plan = planNamespaces(inventory, ["mesh-root"], {});
    const other = planNamespaces(inventory, ["mesh-root"], { rootNamespace: "istio-system" });
    expect(plan).not.toEqual(other);
    expect(assess(inventory, ["mesh-root"]).findings).not.toEqual(
      assess(inventory, ["mesh-root"], { rootNamespace: "istio-system" }).findings,
    );
  });
});
