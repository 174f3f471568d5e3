import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordedTraffic } from "../../prometheus/recorded-traffic.js";
import { type RunningPrometheus, startPrometheus } from "../../prometheus/server.js";
import { runCli } from "../assess/helpers.js";
import { deployment, service } from "../assess/traffic-safety-cases.js";

const ns = (name: string) =>
  `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n  labels:\n    istio-injection: enabled\n---\n`;
// web -> api is in the configuration; api -> db only in the recorded traffic.
const MESH = `${ns("web")}${ns("api")}${ns("db")}${deployment("frontend", "web", "frontend")}${deployment("api", "api")}${service("api", "", "api")}${deployment("db", "db")}${service("db", "", "db")}apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: from-web
  namespace: api
spec:
  selector:
    matchLabels:
      app: api
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/web/sa/frontend"]
`;

let file: string;
let prom: RunningPrometheus;
beforeAll(async () => {
  file = join(mkdtempSync(join(tmpdir(), "am-waves-")), "mesh.yaml");
  writeFileSync(file, MESH);
  prom = await startPrometheus(
    recordedTraffic([{ from: "api", to: "db", requestsPerMinute: 3 }], Math.floor(Date.now() / 1000)),
  );
}, 60_000);
afterAll(async () => prom?.stop());

interface WavesDoc {
  waves: { wave: number; namespaces: string[]; why: string[] }[];
  namespaces: { namespace: string }[];
}

describe("plan --waves", () => {
  it("orders from configuration alone, in the documented JSON shape", async () => {
    const r = await runCli(["plan", "-f", file, "--waves", "-o", "json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as WavesDoc;
    expect(Object.keys(doc).slice(0, 2)).toEqual(["waves", "namespaces"]);
    expect(doc.namespaces.map((n) => n.namespace)).toEqual(["api", "db", "web"]);
    expect(doc.waves.map((w) => [w.wave, w.namespaces])).toEqual([
      [1, ["db", "web"]],
      [2, ["api"]],
    ]);
    expect(doc.waves[1]?.why).toEqual([
      "api after its caller web (wave 1): AuthorizationPolicy api/from-web allows principal cluster.local/ns/web/sa/frontend",
    ]);
  });

  it("adds the traffic a real Prometheus recorded", async () => {
    const r = await runCli(["plan", "-f", file, "--waves", "--prometheus", prom.url, "-o", "json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("1 calling namespace pair(s) observed in the last 7d");
    const doc = JSON.parse(r.stdout) as WavesDoc;
    expect(doc.waves.map((w) => w.namespaces)).toEqual([["web"], ["api"], ["db"]]);
    expect(doc.waves[2]?.why[0]).toMatch(
      /^db after its caller api \(wave 2\): observed: \d+ requests in 7d$/,
    );
  });

  it("prints the waves before the plan, and exits 11 when Prometheus cannot be reached", async () => {
    const text = await runCli(["plan", "-f", file, "--waves"]);
    expect(text.stdout).toMatch(/^Waves \(callers before the namespaces they call.*\n {2}wave 1: db, web\n/);
    const down = await runCli(["plan", "-f", file, "--waves", "--prometheus", "http://127.0.0.1:9"]);
    expect(down.code).toBe(11);
    expect(down.stderr).toContain("could not be reached");
    const badWindow = await runCli([
      "plan",
      "-f",
      file,
      "--waves",
      "--prometheus",
      prom.url,
      "--window",
      "a week",
    ]);
    expect(badWindow.code).toBe(2);
  });
});
