// Step 5 is decided once per source object, from the assessment's disposition and the
// translation's: every object the translator saw is either deleted (replaced) or kept with a
// reason, never left out; a finding code must say whether it decides an object's fate.

import { describe, expect, it } from "vitest";
import { assess } from "../../../src/assess/assess.js";
import { FATES } from "../../../src/assess/dispositions.js";
import { readManifests } from "../../../src/inventory/from-files.js";
import { describeRef, objectKey } from "../../../src/inventory/identity.js";
import { buildPlan } from "../../../src/plan/build.js";
import { TRANSLATION_INCOMPLETE } from "../../../src/plan/dispositions.js";
import { translate } from "../../../src/translate/index.js";
import { EXAMPLE, inventoryOf, namespaceYaml } from "../assess/helpers.js";

describe("step 5 dispositions", () => {
  it("do not compile when a finding code has no fate", () => {
    const { "envoy-filter": _, ...withoutOne } = FATES;
    // @ts-expect-error every finding code needs a fate (null: it decides none)
    const fates: typeof FATES = withoutOne;
    expect(Object.keys(fates)).not.toContain("envoy-filter");
  });

  it("give every source the translator saw one disposition: deleted when replaced, else kept", () => {
    const { inventory } = readManifests([EXAMPLE]);
    const namespaces = ["bookinfo", "bookinfo-canary", "orders", "payments"];
    const plan = buildPlan(inventory, assess(inventory, namespaces), { acceptTranslationLosses: true });
    const translation = translate(inventory, namespaces);
    expect(translation.dispositions.length).toBeGreaterThan(0);
    for (const n of plan.namespaces) {
      const deleted = n.deleteInStep5.map((d) => objectKey(d.ref));
      const kept = n.keep.map((d) => objectKey(d.ref));
      expect(new Set([...deleted, ...kept]).size, n.namespace).toBe(deleted.length + kept.length);
      for (const d of translation.dispositions.filter((t) => t.source.namespace === n.namespace)) {
        const key = objectKey(d.source);
        const where = deleted.includes(key) ? "delete" : kept.includes(key) ? "keep" : "nowhere";
        // Replaced sources go unless the assessment keeps them (ingress, traffic policy, L4).
        if (d.outcome !== "replaced") expect(where, describeRef(d.source)).toBe("keep");
        else expect(where, describeRef(d.source)).not.toBe("nowhere");
      }
    }
    const ratings = plan.namespaces
      .find((n) => n.namespace === "bookinfo")
      ?.keep.find((d) => d.ref.kind === "VirtualService" && d.ref.name === "ratings");
    expect(ratings?.reason).toBe(TRANSLATION_INCOMPLETE);
  });

  it("keep a source no finding is about but the translator did not replace", () => {
    // A namespace-wide L4 policy: no check classifies it; the translator leaves it as it is.
    const inventory = inventoryOf(
      `${namespaceYaml("app", { "istio-injection": "enabled" })}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow-same-namespace, namespace: app }
spec:
  action: ALLOW
  rules: [{ from: [{ source: { namespaces: ["app"] } }] }]
`,
      "app",
    );
    const translation = translate(inventory, ["app"]);
    const [plan] = buildPlan(inventory, assess(inventory, ["app"])).namespaces;
    const policy = (d: { ref: { kind: string; name: string } }) =>
      d.ref.kind === "AuthorizationPolicy" && d.ref.name === "allow-same-namespace";
    expect(translation.dispositions.map((d) => [d.source.name, d.outcome])).toEqual([
      ["allow-same-namespace", "not-replaced"],
    ]);
    // Before, with no finding about it, it was neither kept nor deleted.
    expect(plan?.deleteInStep5.filter(policy)).toEqual([]);
    expect(plan?.keep.filter(policy).map((d) => d.reason)).toEqual([
      "not replaced by the translation: see translate report",
    ]);
  });
});

describe("the waypoint decision comes from the dispositions alone", () => {
  // An L7 policy already written with targetRefs: no finding names it, yet the waypoint must exist.
  const inventory = inventoryOf(
    `${namespaceYaml("app", { "istio-injection": "enabled" })}
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: app }
spec: { ports: [{ port: 80, name: http }] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: get-only, namespace: app }
spec:
  targetRefs: [{ kind: Service, group: "", name: web }]
  action: ALLOW
  rules: [{ to: [{ operation: { methods: ["GET"] } }] }]
`,
    "app",
  );

  it("an object in ambient form that needs the waypoint is kept, and says why it needs it", () => {
    const [a] = assess(inventory, ["app"]).namespaces;
    expect(a?.dispositions).toEqual([
      {
        ref: {
          apiVersion: "security.istio.io/v1",
          kind: "AuthorizationPolicy",
          namespace: "app",
          name: "get-only",
        },
        fate: "keep",
        reason: "already in ambient form: the waypoint serves it",
        waypoint: "AuthorizationPolicy/get-only needs L7 enforcement",
      },
    ]);
    const [plan] = buildPlan(inventory, assess(inventory, ["app"])).namespaces;
    expect(plan?.waypoint).toMatchObject({
      needed: true,
      create: true,
      reason: "AuthorizationPolicy/get-only needs L7 enforcement",
    });
  });

  it("without the dispositions' waypoint reasons the plan needs no waypoint", () => {
    const assessment = assess(inventory, ["app"]);
    for (const n of assessment.namespaces) for (const d of n.dispositions) delete d.waypoint;
    const [plan] = buildPlan(inventory, assessment).namespaces;
    expect(plan?.waypoint.needed).toBe(false);
  });
});
