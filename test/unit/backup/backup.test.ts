import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  collectBackup,
  collectNamed,
  defaultBackupPath,
  readBackup,
  renderBackup,
  verifyBackup,
  writeVerifiedBackup,
} from "../../../src/backup/backup.js";
import { restorePlan } from "../../../src/backup/restore.js";
import { LAST_APPLIED, stripServerFields } from "../../../src/backup/strip.js";
import { FakeClusterPort } from "../../../src/cluster/fake.js";
import { ExitCode } from "../../../src/errors.js";
import type { KubeObject } from "../../../src/inventory/model.js";

const header = {
  cluster: "https://127.0.0.1:6443",
  context: "testbed",
  time: "2026-11-20T10:00:00.000Z",
  toolVersion: "0.1.0",
  namespaces: ["shop"],
};

const live: KubeObject = {
  apiVersion: "networking.istio.io/v1",
  kind: "VirtualService",
  metadata: {
    name: "reviews",
    namespace: "shop",
    uid: "0b7c",
    resourceVersion: "812",
    generation: 3,
    creationTimestamp: "2026-11-01T00:00:00Z",
    managedFields: [{ manager: "kubectl", operation: "Apply" }],
    selfLink: "/apis/x",
    labels: { app: "reviews" },
    annotations: { [LAST_APPLIED]: "{...}" },
  },
  spec: { hosts: ["reviews"], http: [{ route: [{ destination: { host: "reviews", subset: "v1" } }] }] },
  status: { observedGeneration: 3 },
};

describe("stripServerFields", () => {
  it("drops what the apiserver set and keeps what people wrote", () => {
    expect(stripServerFields(live)).toEqual({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "reviews", namespace: "shop", labels: { app: "reviews" } },
      spec: live.spec,
    });
    expect(live.metadata.uid).toBe("0b7c"); // input untouched
  });

  it("keeps other annotations", () => {
    const o = structuredClone(live);
    o.metadata.annotations = { [LAST_APPLIED]: "{}", team: "blue" };
    expect(stripServerFields(o).metadata.annotations).toEqual({ team: "blue" });
  });
});

describe("backup file", () => {
  it("reads back equal, including values YAML 1.1 would turn into booleans, numbers or null", () => {
    const tricky: KubeObject = {
      apiVersion: "telemetry.istio.io/v1",
      kind: "Telemetry",
      metadata: {
        name: "t",
        namespace: "shop",
        labels: { a: "yes", b: "on", c: "no", d: "0777", e: "1e3", f: "~", g: "null", h: "1_000" },
      },
      spec: { x: ["y", "n", "off", "TRUE", "0x1F", "12:30", "2026-11-20"] },
    };
    const text = renderBackup(header, [stripServerFields(live), tricky]);
    expect(text.startsWith("# ambient-migrate backup")).toBe(true);
    expect(text).toContain("# context: testbed");
    expect(text).toContain("# tool: ambient-migrate 0.1.0");
    expect(verifyBackup([stripServerFields(live), tricky], readBackup(text, "t.yaml"))).toEqual([]);
  });

  it("reads back any annotation values equal (property)", () => {
    const key = fc.stringMatching(/^[a-z0-9]([-a-z0-9./]{0,10}[a-z0-9])?$/);
    fc.assert(
      fc.property(
        fc.dictionary(key, fc.string({ maxLength: 12 }), { noNullPrototype: true }),
        (annotations) => {
          const o: KubeObject = {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "s", namespace: "n", annotations },
          };
          return verifyBackup([o], readBackup(renderBackup(header, [o]), "p.yaml")).length === 0;
        },
      ),
    );
  });

  it("notices a missing, extra or altered object", () => {
    const a = stripServerFields(live);
    const b: KubeObject = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "reviews", namespace: "shop" },
    };
    const altered = { ...a, spec: { hosts: ["other"] } };
    const extra: KubeObject = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "x", namespace: "shop" },
    };
    expect(verifyBackup([a, b], [altered, extra])).toEqual([
      "VirtualService.networking.istio.io shop/reviews: reads back different from what was written",
      "Service shop/reviews: missing from the file",
      "Service shop/x: in the file but not in the backup",
    ]);
  });

  it("writes to the default path, verified, and never overwrites", () => {
    const dir = mkdtempSync(join(tmpdir(), "am-backup-"));
    const path = defaultBackupPath("shop", new Date("2026-11-20T10:11:12.345Z"), dir);
    expect(path).toBe(join(dir, "shop-20261120T101112Z.yaml"));
    writeVerifiedBackup(path, header, [stripServerFields(live)]);
    expect(readBackup(readFileSync(path, "utf8"), path)).toEqual([stripServerFields(live)]);
    expect(existsSync(`${path}.partial`)).toBe(false);
    expect(() => writeVerifiedBackup(path, header, [])).toThrow(
      expect.objectContaining({ exitCode: ExitCode.usage }),
    );
  });

  it("refuses a file that is not YAML", () => {
    const dir = mkdtempSync(join(tmpdir(), "am-backup-"));
    const path = join(dir, "broken.yaml");
    writeFileSync(path, "a: [1, 2\n");
    expect(() => readBackup(readFileSync(path, "utf8"), path)).toThrow(/not valid YAML/);
  });
});

describe("collectBackup", () => {
  const objects: KubeObject[] = [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "shop", labels: { "istio-injection": "enabled" } },
      status: { phase: "Active" },
    },
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "other" } },
    live,
    {
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "elsewhere", namespace: "other" },
      spec: {},
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "reviews", namespace: "shop" },
      spec: { ports: [{ port: 9080 }] },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "waypoint",
        namespace: "shop",
        ownerReferences: [
          { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", name: "waypoint", controller: true },
        ],
      },
      spec: {},
    },
    {
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "strict", namespace: "shop" },
      spec: { mtls: { mode: "STRICT" } },
    },
    {
      apiVersion: "networking.istio.io/v1alpha3",
      kind: "EnvoyFilter",
      metadata: { name: "lua", namespace: "shop" },
      spec: {},
    },
    {
      apiVersion: "networking.istio.io/v1",
      kind: "WorkloadEntry",
      metadata: { name: "vm", namespace: "shop" },
      spec: {},
    },
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "GRPCRoute",
      metadata: { name: "g", namespace: "shop" },
      spec: {},
    },
    {
      apiVersion: "gateway.networking.k8s.io/v1beta1",
      kind: "ReferenceGrant",
      metadata: { name: "rg", namespace: "shop" },
      spec: {},
    },
  ];

  it("takes the Namespace, its Services and every Istio and Gateway API object, stripped", async () => {
    const fake = new FakeClusterPort(objects);
    fake.missing.add("tlsroutes.gateway.networking.k8s.io");
    const collected = await collectBackup(fake, ["shop"]);
    expect(collected.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      "EnvoyFilter/lua",
      "GRPCRoute/g",
      "Namespace/shop",
      "PeerAuthentication/strict",
      "ReferenceGrant/rg",
      "Service/reviews",
      "VirtualService/reviews",
      "WorkloadEntry/vm",
    ]);
    expect(collected.absentKinds).toEqual(["TLSRoute.gateway.networking.k8s.io"]);
    expect(
      collected.objects.every((o) => o.status === undefined && o.metadata.resourceVersion === undefined),
    ).toBe(true);
    expect(fake.calls.filter((c) => c.verb === "list").every((c) => c.namespace === "shop")).toBe(true);
  });

  it("fails with exit 5 for a namespace that does not exist", async () => {
    const error = await collectBackup(new FakeClusterPort(objects), ["nope"]).catch((e) => e);
    expect(error.exitCode).toBe(ExitCode.notFound);
  });
});

describe("collectNamed", () => {
  it("takes the named objects as they are now, stripped, and lists those that do not exist", async () => {
    const port = new FakeClusterPort([live]);
    const reviews = { apiVersion: live.apiVersion, kind: live.kind, namespace: "shop", name: "reviews" };
    const missing = { apiVersion: "v1", kind: "ConfigMap", namespace: "shop", name: "gone" };
    const stored = (await port.get(reviews)) as KubeObject;
    expect(await collectNamed(port, [reviews, missing])).toEqual({
      objects: [stripServerFields(stored)],
      missing: [missing],
    });
  });

  it("names what the run creates in the header, outside the objects", () => {
    const text = renderBackup(
      { ...header, creates: ["PodMonitor.monitoring.coreos.com shop/web-metrics"] },
      [],
    );
    expect(text).toContain(
      "# creates (not in this file; delete to undo): PodMonitor.monitoring.coreos.com shop/web-metrics\n",
    );
    expect(readBackup(text, "b.yaml")).toEqual([]);
    expect(renderBackup(header, [])).not.toContain("# creates");
  });
});

describe("restorePlan", () => {
  const saved = stripServerFields(live);
  const route: KubeObject = {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: "reviews", namespace: "shop" },
    spec: { rules: [{ backendRefs: [{ name: "reviews-v1", port: 9080 }] }] },
  };

  it("creates what is gone, leaves what is equal, skips what is newer", () => {
    const newerRoute = {
      ...structuredClone(route),
      spec: { rules: [] },
      metadata: { ...route.metadata, resourceVersion: "9" },
    };
    const plan = restorePlan(
      [saved, route, { ...route, metadata: { ...route.metadata, name: "gone" } }],
      [{ ...structuredClone(live), metadata: { ...live.metadata, resourceVersion: "999" } }, newerRoute],
    );
    expect(plan.map((i) => [i.id, i.action, i.differences])).toEqual([
      ["VirtualService.networking.istio.io shop/reviews", "unchanged", []],
      ["HTTPRoute.gateway.networking.k8s.io shop/reviews", "skip", ["spec"]],
      ["HTTPRoute.gateway.networking.k8s.io shop/gone", "create", []],
    ]);
  });

  it("overwrites newer objects only when asked", () => {
    const labelled = {
      ...structuredClone(saved),
      metadata: { ...saved.metadata, labels: { app: "reviews", new: "1" } },
    };
    const [item] = restorePlan([saved], [labelled], { overwrite: true });
    expect(item?.action).toBe("overwrite");
    expect(item?.differences).toEqual(["metadata.labels"]);
    expect(item?.object).toEqual(saved);
  });
});
