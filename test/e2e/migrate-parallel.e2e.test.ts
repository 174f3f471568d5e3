// `migrate --parallel` against the testbed, with the CLI as a process: three namespaces at once,
// each under its own lock. The third one's lock is held by another run (a fresh Lease), so it
// fails with exit 10 while the other two are migrated all the same; the exit code and the
// summary (the last NDJSON line of -o json) say which one failed.

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { afterAll, describe, expect, it } from "vitest";
import type { KubeObject } from "../../src/inventory/model.js";
import type { SummaryEvent } from "../../src/run/events.js";
import { LOCK_NAME } from "../../src/run/lock.js";
import { detailsNamespace } from "./details-sample.js";
import { apply, cli, deleteNamespaces, kubectl, kubectlJson } from "./harness.js";

const schema = JSON.parse(readFileSync(new URL("../../docs/events.schema.json", import.meta.url), "utf8"));
const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);

afterAll(async () => {
  await deleteNamespaces();
});

interface List {
  items: KubeObject[];
}

/** A lock taken by a run on another machine, renewed just now, valid for an hour. */
function foreignLease(namespace: string): string {
  const now = new Date().toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
  return `apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: ${LOCK_NAME}, namespace: ${namespace}}
spec:
  holderIdentity: other-host-4242-abcdef
  leaseDurationSeconds: 3600
  acquireTime: "${now}"
  renewTime: "${now}"
`;
}

describe("migrate --parallel", () => {
  it("migrates three namespaces at once, one lock each; one that fails does not stop the others", async () => {
    const [a, b, locked] = await Promise.all([
      detailsNamespace("par-a"),
      detailsNamespace("par-b"),
      detailsNamespace("par-c"),
    ]);
    await apply(foreignLease(locked), locked);
    const namespaces = [a, b, locked];

    // Watch the tool's locks while it runs: each namespace gets its own Lease.
    const holders = new Map<string, Set<string>>();
    let mostAtOnce = 0;
    let running = true;
    const watchLocks = (async () => {
      while (running) {
        const leases = (
          await kubectlJson<List>(["get", "leases", "-A", "--field-selector", `metadata.name=${LOCK_NAME}`])
        ).items.filter((l) => namespaces.includes(l.metadata.namespace ?? ""));
        const ours = leases.filter((l) => l.spec?.holderIdentity !== "other-host-4242-abcdef");
        mostAtOnce = Math.max(mostAtOnce, ours.length);
        for (const l of leases) {
          const ns = l.metadata.namespace ?? "";
          holders.set(ns, (holders.get(ns) ?? new Set()).add(l.spec?.holderIdentity));
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const backupDir = mkdtempSync(join(tmpdir(), "am-e2e-parallel-"));
    const run = await cli([
      "migrate",
      ...namespaces.flatMap((ns) => ["-n", ns]),
      "--parallel",
      "3",
      "--yes",
      "--timeout",
      "120s",
      "--backup-dir",
      backupDir,
      "-o",
      "json",
    ]);
    running = false;
    await watchLocks;

    // Exit 10: the locked namespace's code; the summary names it and its holder. Every line of
    // stdout is an event of the published schema, the summary the last one.
    expect(run.code, run.stderr).toBe(10);
    const events = run.stdout
      .trimEnd()
      .split("\n")
      .map((line) => {
        const event = JSON.parse(line);
        expect(validate(event), `${line}\n${ajv.errorsText(validate.errors)}`).toBe(true);
        return event as { event: string; phase: string; namespace?: string };
      });
    const summary = events.at(-1) as unknown as SummaryEvent;
    expect(summary).toMatchObject({ event: "summary", phase: "finished", exitCode: 10 });
    for (const ns of [a, b])
      expect(events.filter((e) => e.namespace === ns && e.event === "namespace").map((e) => e.phase)).toEqual(
        ["started", "passed"],
      );
    const byNs = new Map(summary.namespaces.map((n) => [n.namespace, n]));
    expect(byNs.get(a)?.result).toBe("migrated");
    expect(byNs.get(b)?.result).toBe("migrated");
    expect(byNs.get(locked)).toMatchObject({ result: "failed", exitCode: 10 });
    expect(byNs.get(locked)?.error).toContain("other-host-4242-abcdef");
    expect(run.stderr).toContain(`1 of 3 namespace(s) failed:`);
    expect(run.stderr).toMatch(new RegExp(`${locked} \\(exit 10\\)`));

    // Concurrent, not one after the other: both namespaces had started before either finished,
    // and their locks were held at the same time, one Lease in each namespace.
    const lines = run.stderr.split("\n");
    const at = (text: string) => lines.indexOf(text);
    expect(Math.max(at(`[${a}] started`), at(`[${b}] started`))).toBeLessThan(
      Math.min(at(`[${a}] migrated`), at(`[${b}] migrated`)),
    );
    expect(mostAtOnce).toBe(2);
    expect(holders.get(locked)).toEqual(new Set(["other-host-4242-abcdef"]));
    // Released when done.
    for (const ns of [a, b]) {
      const lease = await kubectl(["-n", ns, "get", "lease", LOCK_NAME], { allowFail: true });
      expect(lease.code).not.toBe(0);
    }

    // The two migrated namespaces are ambient; the locked one was not touched.
    for (const ns of [a, b]) {
      const labels = (await kubectlJson<KubeObject>(["get", "namespace", ns])).metadata.labels ?? {};
      expect(labels["istio.io/dataplane-mode"]).toBe("ambient");
      expect(labels["istio-injection"]).toBeUndefined();
      // The app's pods (the waypoint's own pod runs istio-proxy by design).
      for (const pod of (
        await kubectlJson<List>(["get", "pods", "-n", ns, "-l", "app=details"])
      ).items.filter((p) => !p.metadata.deletionTimestamp))
        expect(pod.spec.containers.map((c: { name: string }) => c.name)).not.toContain("istio-proxy");
    }
    const untouched = (await kubectlJson<KubeObject>(["get", "namespace", locked])).metadata.labels ?? {};
    expect(untouched["istio-injection"]).toBe("enabled");
    expect(untouched["istio.io/dataplane-mode"]).toBeUndefined();
    const journal = await kubectl(["-n", locked, "get", "configmap", "ambient-migrate-journal"], {
      allowFail: true,
    });
    expect(journal.code).not.toBe(0);
  });
});
