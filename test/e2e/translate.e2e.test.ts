// translate and plan against the real API server and istiod: every Bookinfo networking sample's
// translation passes server-side validation (Gateway API experimental CRDs, Istio CRDs and Istio's
// validation webhook), and istiod accepts the translated route, policy and waypoint.

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import {
  apply,
  cli,
  createNamespace,
  deleteNamespaces,
  fixtures,
  kubectl,
  repoRoot,
  waitForWaypoint,
} from "./harness.js";

const networking = join(fixtures, "bookinfo/networking");
const bookinfo = join(fixtures, "bookinfo/platform/bookinfo.yaml");
const destinationRules = join(networking, "destination-rule-all.yaml");
const samples = readdirSync(networking)
  .filter((f) => f.endsWith(".yaml"))
  .sort();
const work = mkdtempSync(join(tmpdir(), "translate-e2e-"));

interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string };
}

const docsOf = (yaml: string): Doc[] =>
  parseAllDocuments(yaml)
    .map((d) => d.toJSON() as Doc | null)
    .filter((d): d is Doc => d !== null);

/** A sample that only defines DestinationRules replaces destination-rule-all.yaml (same names). */
function inputsFor(sample: string): string[] {
  const path = join(networking, sample);
  const onlyRules = docsOf(readFileSync(path, "utf8")).every((d) => d.kind === "DestinationRule");
  return onlyRules ? [bookinfo, path] : [bookinfo, destinationRules, path];
}

async function translate(namespace: string, files: string[]): Promise<{ yaml: string; code: number }> {
  const r = await cli(["translate", "-n", namespace, ...files.flatMap((f) => ["-f", f])]);
  // 0: faithful; 3: some source lost something (its report says what), the output is still valid.
  expect([0, 3], r.stderr).toContain(r.code);
  return { yaml: r.stdout, code: r.code };
}

/** The example's L7 policy (GET only on the product page), moved into the test namespace. */
function l7PolicyFile(namespace: string): string {
  const security = readFileSync(join(repoRoot, "examples/bookinfo-mesh/bookinfo/security.yaml"), "utf8");
  const doc = security.split(/^---$/m).find((d) => /name: productpage-viewer\b/.test(d));
  if (!doc) throw new Error("productpage-viewer not found in the example");
  const file = join(work, `${namespace}-productpage-viewer.yaml`);
  writeFileSync(file, doc.replace(/namespace: bookinfo\b/, `namespace: ${namespace}`));
  return file;
}

/** Watch-based wait on a jsonpath (kubectl wait), so nothing sleeps. */
async function waitFor(resource: string, namespace: string, jsonpath: string): Promise<void> {
  await kubectl(["wait", "-n", namespace, resource, `--for=jsonpath=${jsonpath}`, "--timeout=120s"]);
}

describe("translate on the testbed", () => {
  let ns: string;

  beforeAll(async () => {
    ns = await createNamespace("translate");
    await apply(readFileSync(bookinfo, "utf8"), ns);
    await apply(readFileSync(destinationRules, "utf8"), ns);
  });
  afterAll(deleteNamespaces);

  it.each(samples)("%s: the translated objects pass a server-side dry run", async (sample) => {
    const { yaml } = await translate(ns, inputsFor(sample));
    const objects = docsOf(yaml);
    if (objects.length === 0) return; // e.g. a VirtualService bound to an ingress gateway only
    for (const o of objects) expect(o.metadata.namespace).toBe(ns);
    const r = await kubectl(["apply", "--dry-run=server", "--server-side", "-f", "-"], { input: yaml });
    expect(r.stdout.trim().split("\n")).toHaveLength(objects.length);
  });

  it("translates every sample that routes mesh traffic into objects (the loop above is not vacuous)", async () => {
    const { yaml } = await translate(ns, inputsFor("virtual-service-reviews-90-10.yaml"));
    expect(docsOf(yaml).map((d) => d.kind)).toEqual(
      expect.arrayContaining(["Gateway", "Service", "HTTPRoute"]),
    );
  });

  it("istiod accepts the translated HTTPRoute and targetRefs policy, and programs the waypoint", async () => {
    const live = await createNamespace("translate-live");
    await apply(readFileSync(bookinfo, "utf8"), live);
    await apply(readFileSync(destinationRules, "utf8"), live);
    const inputs = [...inputsFor("virtual-service-reviews-90-10.yaml"), l7PolicyFile(live)];
    const { yaml, code } = await translate(live, inputs);
    expect(code).toBe(0);
    const kinds = docsOf(yaml).map((d) => `${d.kind}/${d.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        "Gateway/waypoint",
        "HTTPRoute/reviews",
        "AuthorizationPolicy/productpage-viewer-waypoint",
      ]),
    );
    // The translated waypoint Gateway is the waypoint (istioctl's shape): apply it with the rest.
    await apply(yaml, live);
    await kubectl([
      "label",
      "namespace",
      live,
      "istio.io/dataplane-mode=ambient",
      "istio.io/use-waypoint=waypoint",
      "--overwrite",
    ]);

    await waitForWaypoint(live);
    const route = "httproutes.gateway.networking.k8s.io/reviews";
    await waitFor(route, live, '{.status.parents[0].conditions[?(@.type=="Accepted")].status}=True');
    await waitFor(route, live, '{.status.parents[0].conditions[?(@.type=="ResolvedRefs")].status}=True');
    // istiod sets ResolvedWaypoints on every route parent when ambient is enabled
    // (pilot/pkg/config/kube/gateway/conditions.go, features.EnableAmbient); the testbed runs
    // istiod with PILOT_ENABLE_AMBIENT=true.
    await waitFor(route, live, '{.status.parents[0].conditions[?(@.type=="ResolvedWaypoints")].status}=True');
    await waitFor(
      "authorizationpolicies.security.istio.io/productpage-viewer-waypoint",
      live,
      '{.status.conditions[?(@.type=="WaypointAccepted")].status}=True',
    );
  });
});

describe("plan on the testbed", () => {
  afterAll(deleteNamespaces);

  it("plan -n NS reads the cluster and lists the translated objects first in step 1", async () => {
    const ns = await createNamespace("plan-translate", { "istio-injection": "enabled" });
    await apply(readFileSync(bookinfo, "utf8"), ns);
    await apply(readFileSync(destinationRules, "utf8"), ns);
    await apply(readFileSync(join(networking, "virtual-service-reviews-90-10.yaml"), "utf8"), ns);
    await apply(readFileSync(l7PolicyFile(ns), "utf8"), ns);

    const r = await cli(["plan", "-n", ns, "-o", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const [plan] = JSON.parse(r.stdout).namespaces as {
      namespace: string;
      blocked: boolean;
      applyBeforeStep1: { object: Doc }[];
      steps: { step: number; changes: { type: string; object?: Doc }[] }[];
    }[];
    expect(plan?.namespace).toBe(ns);
    expect(plan?.blocked).toBe(false);
    const translated = plan?.applyBeforeStep1.map((a) => `${a.object.kind}/${a.object.metadata.name}`) ?? [];
    expect(translated).toEqual(
      expect.arrayContaining([
        "Service/reviews-v1",
        "HTTPRoute/reviews",
        "AuthorizationPolicy/productpage-viewer-waypoint",
      ]),
    );
    // One waypoint, made by step 1 itself, not by the translation.
    expect(translated.filter((t) => t.startsWith("Gateway/"))).toEqual([]);
    const step1 = plan?.steps.find((s) => s.step === 1);
    const applied = step1?.changes
      .filter((c) => c.type === "apply")
      .map((c) => `${c.object?.kind}/${c.object?.metadata.name}`);
    expect(applied).toEqual([...translated, "Gateway/waypoint"]);
  });
});
