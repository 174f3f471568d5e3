// status --workloads on the real control plane: each pod's data plane in one table, agreeing
// with what istioctl ztunnel-config workloads lists (protocol, waypoint) and with the pods'
// own containers (sidecars).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apply,
  bookinfoApp,
  cli,
  createNamespace,
  deleteNamespaces,
  istioctl,
  kubectl,
  kubectlJson,
} from "./harness.js";

interface Row {
  namespace: string;
  pod: string;
  dataplane: string;
  protocol: string;
  waypoint: string;
  istiodSync?: string;
}

let sidecarNs: string;
let ambientNs: string;

beforeAll(async () => {
  sidecarNs = await createNamespace("wl-sidecar", { "istio-injection": "enabled" });
  ambientNs = await createNamespace("wl-ambient", { "istio.io/dataplane-mode": "ambient" });
  for (const ns of [sidecarNs, ambientNs]) {
    await apply(bookinfoApp("details"), ns);
    await kubectl(["-n", ns, "rollout", "status", "deployment/details-v1", "--timeout=120s"]);
  }
});

afterAll(deleteNamespaces);

describe("status --workloads", () => {
  it("lists each pod's data plane as istioctl and the pods show it", async () => {
    const r = await cli(["status", "-n", `${sidecarNs},${ambientNs}`, "--workloads", "-o", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const rows = (JSON.parse(r.stdout) as { pods: Row[]; ztunnelError?: string }).pods;
    const podNames = async (ns: string) =>
      (await kubectlJson<{ items: { metadata: { name: string } }[] }>(["-n", ns, "get", "pods"])).items
        .map((p) => p.metadata.name)
        .sort();
    // Every pod, once.
    for (const ns of [sidecarNs, ambientNs])
      expect(rows.filter((w) => w.namespace === ns).map((w) => w.pod)).toEqual(await podNames(ns));
    // Sidecars: the pods that run istio-proxy; the sync state is said not to be read.
    const sidecars = rows.filter((w) => w.namespace === sidecarNs);
    expect(sidecars.length).toBeGreaterThan(0);
    for (const w of sidecars) {
      const containers = await kubectl([
        "-n",
        sidecarNs,
        "get",
        "pod",
        w.pod,
        "-o",
        "jsonpath={.spec.containers[*].name} {.spec.initContainers[*].name}",
      ]);
      expect(containers.stdout).toContain("istio-proxy");
      expect(w.dataplane).toBe("sidecar");
      expect(w.istiodSync).toMatch(/^not read/);
    }
    // Ambient: as istioctl ztunnel-config workloads lists them (HBONE, waypoint).
    const theirs = JSON.parse((await istioctl(["ztunnel-config", "workloads", "-o", "json"])).stdout) as {
      name: string;
      namespace: string;
      protocol: string;
      waypoint?: { destination?: string };
    }[];
    const ambient = rows.filter((w) => w.namespace === ambientNs);
    expect(ambient.length).toBeGreaterThan(0);
    expect(
      ambient.map((w) => `${w.pod} ${w.dataplane} ${w.protocol} ${w.waypoint === "-" ? "" : "waypoint"}`),
    ).toEqual(
      theirs
        .filter((w) => w.namespace === ambientNs)
        .map((w) => `${w.name} ztunnel ${w.protocol} ${w.waypoint?.destination ? "waypoint" : ""}`)
        .sort(),
    );
    for (const w of ambient) expect(w.protocol).toBe("HBONE");

    const table = await cli(["status", "-n", ambientNs, "--workloads"]);
    expect(table.stdout.split("\n")[0]).toMatch(
      /^NAMESPACE\s+POD\s+DATAPLANE\s+PROTOCOL\s+WAYPOINT\s+ISTIOD SYNC$/,
    );
    expect(table.stdout).toMatch(/details-v1-\S+\s+ztunnel\s+HBONE/);
  });

  it("--istiod: each sidecar's sync with the real istiod, as istioctl proxy-status lists the proxy", async () => {
    const istiod = `http://127.0.0.1:${process.env.TESTBED_ISTIOD_MONITORING_PORT ?? "15014"}`;
    const xds = `127.0.0.1:${process.env.TESTBED_ISTIOD_GRPC_PORT ?? "15010"}`;
    const pods = (
      await kubectlJson<{ items: { metadata: { name: string } }[] }>(["-n", sidecarNs, "get", "pods"])
    ).items;
    // testbed-envoy connects each sidecar pod's Envoy to istiod: istioctl sees it first.
    for (const pod of pods)
      for (let i = 0; ; i++) {
        const ps = await istioctl(["proxy-status", "--xds-address", xds, "--plaintext"], { allowFail: true });
        if (new RegExp(`${pod.metadata.name}\\.${sidecarNs}\\s`).test(ps.stdout)) break;
        if (i > 60) throw new Error(`istioctl proxy-status never listed ${pod.metadata.name}: ${ps.stdout}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    const r = await cli(["status", "-n", sidecarNs, "--workloads", "-o", "json", "--istiod", istiod]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`sidecars' sync read from istiod ${istiod}/debug/syncz`);
    const rows = (JSON.parse(r.stdout) as { pods: Row[] }).pods;
    expect(rows.length).toBe(pods.length);
    for (const w of rows) expect(w.istiodSync).toMatch(/^SYNCED \(.*CDS.*LDS.*\)$|^STALE: /);
    expect(rows.some((w) => w.istiodSync?.startsWith("SYNCED"))).toBe(true);
    // The table has the column; without --istiod the testbed has no istiod pod to port-forward to.
    const table = await cli(["status", "-n", sidecarNs, "--workloads", "--istiod", istiod]);
    expect(table.stdout).toMatch(/ISTIOD SYNC\n(.*SYNCED \(.*\n)+/);
    const without = await cli(["status", "-n", sidecarNs, "--workloads"]);
    expect(without.stderr).toContain("no running istiod pod in istio-system");
  });
});
