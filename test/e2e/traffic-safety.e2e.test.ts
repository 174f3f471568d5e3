// Issue 11 on the testbed: what moving a namespace does to its neighbours. The ingress label
// (step 1) and the tool's NetworkPolicy (step 2) come and go with migrate and rollback; the
// bypass DENY list shrinks when a caller migrates and comes back with its rollback; waves are
// ordered from traffic a real Prometheus recorded, and run wave after wave.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { KubeObject } from "../../src/inventory/model.js";
import type { Journal } from "../../src/run/journal.js";
import { recordedTraffic } from "../prometheus/recorded-traffic.js";
import { type RunningPrometheus, startPrometheus } from "../prometheus/server.js";
import { detailsNamespace } from "./details-sample.js";
import {
  apply,
  appNamespace,
  cli,
  deleteNamespaces,
  kubectl,
  kubectlJson,
  twoWaveNamespaces,
} from "./harness.js";

const backupDir = mkdtempSync(join(tmpdir(), "am-e2e-traffic-"));
const migrate = (namespaces: string[], ...extra: string[]) =>
  cli(["migrate", ...namespaces, "--yes", "--timeout", "2m", "--backup-dir", backupDir, ...extra]);
const rollback = (ns: string) => cli(["rollback", ns, "--yes", "--timeout", "2m", "--backup-dir", backupDir]);

async function journal(ns: string): Promise<Journal> {
  const cm = await kubectlJson<KubeObject>(["-n", ns, "get", "configmap", "ambient-migrate-journal"]);
  return JSON.parse((cm.data as Record<string, string>)["journal.json"] ?? "{}") as Journal;
}

async function exists(ns: string, kind: string, name: string): Promise<boolean> {
  const r = await kubectl(["-n", ns, "get", kind, name, "-o", "name"], { allowFail: true });
  return r.code === 0;
}

async function notPrincipals(ns: string, name: string): Promise<string[]> {
  const ap = await kubectlJson<KubeObject>([
    "-n",
    ns,
    "get",
    "authorizationpolicies.security.istio.io",
    name,
  ]);
  return ap.spec.rules[0].from[0].source.notPrincipals as string[];
}

/** A sidecar namespace running Bookinfo's `app` (its own ServiceAccount), rolled out. */

let prom: RunningPrometheus | undefined;
afterAll(async () => {
  await prom?.stop();
  await deleteNamespaces();
});

describe("ingress label and NetworkPolicy", () => {
  it("step 1 labels the ingress backend, step 2 lets HBONE in; rollback takes both away", async () => {
    const ns = await detailsNamespace("ts-ingress");
    // An ingress route to details, and a NetworkPolicy that lets only the app port in.
    await apply(
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: public-details}
spec:
  hosts: [details.example.com]
  gateways: [istio-system/public]
  http: [{route: [{destination: {host: details, port: {number: 9080}}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: details-9080-only}
spec:
  podSelector: {matchLabels: {app: details}}
  ingress: [{from: [{podSelector: {}}], ports: [{port: 9080}]}]
`,
      ns,
    );
    const assessed = await cli(["assess", "-n", ns, "-o", "json"]);
    const codes = (JSON.parse(assessed.stdout) as { findings: { code: string }[] }).findings.map(
      (f) => f.code,
    );
    expect(codes).toEqual(
      expect.arrayContaining(["ingress-bypasses-waypoint", "network-policy-blocks-hbone"]),
    );

    const r = await migrate([ns]);
    expect(r.code, r.stderr).toBe(0);
    const svc = await kubectlJson<KubeObject>(["-n", ns, "get", "service", "details"]);
    expect(svc.metadata.labels?.["istio.io/ingress-use-waypoint"]).toBe("true");
    expect(await exists(ns, "networkpolicy", "details-9080-only-ambient-hbone")).toBe(true);
    const done = await journal(ns);
    expect(done.changes.find((c) => c.target === `Service/${ns}/details`)?.step).toBe(1);
    expect(
      done.changes.find((c) => c.target === `NetworkPolicy/${ns}/details-9080-only-ambient-hbone`)?.step,
    ).toBe(2);

    const rb = await rollback(ns);
    expect(rb.code, rb.stderr).toBe(0);
    const after = await kubectlJson<KubeObject>(["-n", ns, "get", "service", "details"]);
    expect(after.metadata.labels?.["istio.io/ingress-use-waypoint"]).toBeUndefined();
    expect(await exists(ns, "networkpolicy", "details-9080-only-ambient-hbone")).toBe(false);
    expect(await exists(ns, "networkpolicy", "details-9080-only")).toBe(true);
  });
});

describe("bypass list", () => {
  it("shrinks when a caller namespace migrates, and is restored by the caller's rollback", async () => {
    const server = await detailsNamespace("ts-bypass-srv");
    const caller = await appNamespace("ts-bypass-cli", "ratings");
    const principal = `cluster.local/ns/${caller}/sa/bookinfo-ratings`;

    const first = await migrate([server], "--bypass-deny");
    expect(first.code, first.stderr).toBe(0);
    expect(await notPrincipals(server, "details-get-bypass-deny")).toContain(principal);
    const status = await cli(["status", "-n", server, "-o", "json"]);
    const exempt = (JSON.parse(status.stdout) as { namespaces: { bypassExempt: string[] }[] }).namespaces[0]
      ?.bypassExempt;
    expect(exempt).toContain(caller);

    const second = await migrate([caller], "--bypass-deny");
    expect(second.code, second.stderr).toBe(0);
    const shrunk = await notPrincipals(server, "details-get-bypass-deny");
    expect(shrunk).not.toContain(principal);
    expect(shrunk[0]).toBe(`cluster.local/ns/${server}/sa/waypoint`);
    const step4 = (await journal(caller)).changes.find(
      (c) => c.target === `AuthorizationPolicy/${server}/details-get-bypass-deny`,
    );
    expect(step4?.step).toBe(4);

    const rb = await rollback(caller);
    expect(rb.code, rb.stderr).toBe(0);
    expect(await notPrincipals(server, "details-get-bypass-deny")).toContain(principal);
  });
});

describe("waves", () => {
  it("plan --waves --prometheus orders namespaces from the recorded traffic", async () => {
    const [a, b, c] = [
      await appNamespace("ts-wave-a", "productpage"),
      await appNamespace("ts-wave-b", "reviews"),
      await appNamespace("ts-wave-c", "ratings"),
    ] as [string, string, string];
    // Nothing in the configuration links them: only the traffic says a -> b -> c.
    prom = await startPrometheus(
      recordedTraffic(
        [
          { from: a, to: b, requestsPerMinute: 20 },
          { from: b, to: c, connectionsPerMinute: 4 },
        ],
        Math.floor(Date.now() / 1000),
      ),
    );
    const without = await cli(["plan", "-n", `${a},${b},${c}`, "--waves", "-o", "json"]);
    expect(without.code, without.stderr).toBe(0);
    expect((JSON.parse(without.stdout) as { waves: unknown[] }).waves).toHaveLength(1);

    const r = await cli(["plan", "-n", `${a},${b},${c}`, "--waves", "--prometheus", prom.url, "-o", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { waves: { wave: number; namespaces: string[]; why: string[] }[] };
    expect(doc.waves.map((w) => w.namespaces)).toEqual([[a], [b], [c]]);
    expect(doc.waves[1]?.why[0]).toMatch(
      new RegExp(`^${b} after its caller ${a} \\(wave 1\\): observed: \\d+ requests in 7d`),
    );
    expect(doc.waves[2]?.why[0]).toMatch(/observed: \d+ TCP connections in 7d/);
  });

  it("migrate --waves --parallel 2 migrates three namespaces in two waves", async () => {
    // z admits x and y by identity, so x and y go first.
    const [x, y, z] = await twoWaveNamespaces("ts-run");
    const r = await migrate([x, y, z], "--waves", "--parallel", "2");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`wave 1 of 2: ${[x, y].sort().join(", ")}`);
    expect(r.stderr).toContain(`wave 2 of 2: ${z}`);
    // Wave 2 started only after wave 1 was done.
    const [jx, jy, jz] = [await journal(x), await journal(y), await journal(z)];
    for (const j of [jx, jy, jz]) expect(j.status).toBe("done");
    const wave1End = Math.max(Date.parse(jx.updatedAt), Date.parse(jy.updatedAt));
    expect(Date.parse(jz.startedAt)).toBeGreaterThanOrEqual(wave1End);
    // x and y overlapped: the second started before the first finished.
    expect(Math.max(Date.parse(jx.startedAt), Date.parse(jy.startedAt))).toBeLessThan(
      Math.min(Date.parse(jx.updatedAt), Date.parse(jy.updatedAt)),
    );
  });
});
