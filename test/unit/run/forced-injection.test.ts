// migrate --patch-forced-injection on the fake cluster: step 3 removes the pod template keys that
// make the injector select a workload on its own, journals the value it replaced, does not patch
// twice when resumed, and rollback puts the value back before the restarts are redone.

import { describe, expect, it } from "vitest";
import { templateMetadataOf } from "../../../src/cluster/port.js";
import { ExitCode } from "../../../src/errors.js";
import type { KubeObject } from "../../../src/inventory/model.js";
import { migrateNamespace } from "../../../src/run/execute.js";
import { type Journal, readJournal } from "../../../src/run/journal.js";
import { rollbackNamespace } from "../../../src/run/rollback.js";
import { crashing, failure, journalWrite, migrate, options, planFor, rollbackOptions } from "./helpers.js";
import { deployment, NS, SimCluster } from "./sim.js";

const INJECTION = { "istio-injection": "enabled" };
const FORCE = "sidecar.istio.io/inject";
const PATCH = { patchForcedInjection: true };

/** The sample namespace, with web's pod template asking for a sidecar itself. */
function forcedSim(): SimCluster {
  const sim = new SimCluster(INJECTION);
  const web = deployment("web", 1);
  web.spec.template.metadata.labels[FORCE] = "true";
  sim.put(web);
  return sim;
}

const webRef = { apiVersion: "apps/v1", kind: "Deployment", namespace: NS, name: "web" };

async function webTemplateLabels(sim: SimCluster): Promise<Record<string, string>> {
  return templateMetadataOf((await sim.get(webRef)) as KubeObject, "labels");
}

const hasSidecar = (p: KubeObject) =>
  p.spec.containers.some((c: { name: string }) => c.name === "istio-proxy");

describe("--patch-forced-injection", () => {
  it("without it, step 3 only notes the template and step 6 finds web's sidecar (exit 9)", async () => {
    const sim = forcedSim();
    const plan = await planFor(sim);
    const step3 = plan.steps.find((s) => s.step === 3);
    expect(step3?.changes.map((c) => c.type)).toEqual(["label"]);
    expect(step3?.notes.join("\n")).toMatch(
      /Deployment web's pod template carries sidecar.istio.io\/inject=true/,
    );
    const err = await failure(migrateNamespace(sim, plan, options()));
    expect(err.exitCode).toBe(ExitCode.verificationFailed);
    expect(err.message).toMatch(/step 6/);
    expect(await webTemplateLabels(sim)).toMatchObject({ [FORCE]: "true" });
  });

  it("removes the template key in step 3, journals the value it replaced, and the pods lose their sidecars", async () => {
    const sim = forcedSim();
    const opts = options();
    expect(await migrateNamespace(sim, await planFor(sim, PATCH), opts)).toBe("migrated");
    expect(await webTemplateLabels(sim)).toEqual({ app: "web" });
    expect(sim.pods().some(hasSidecar)).toBe(false);
    expect(opts.lines).toContain(
      `kubectl patch deployment web -n ${NS} --type=merge -p '{"spec":{"template":{"metadata":{"labels":{"${FORCE}":null}}}}}'`,
    );
    const journal = (await readJournal(sim, NS)) as Journal;
    expect(journal.changes.find((c) => c.id === "3.2")).toMatchObject({
      type: "template-metadata",
      target: `Deployment/${NS}/web`,
      previous: "true",
      state: "done",
    });
    // The patch ran after the namespace label was removed, and only once.
    const patches = sim.calls.filter((c) => c.verb === "patch" && !c.dryRun && c.resource === "deployments");
    expect(patches.filter((c) => c.name === "web")).toHaveLength(2); // the template patch, then step 4's restart
  });

  it("a run resumed after the template patch does not patch it again", async () => {
    const sim = forcedSim();
    const patched = (verb: string) => verb === "patchTemplateMetadata";
    await expect(migrate(crashing(sim, patched), {}, PATCH)).rejects.toThrow();
    const before = sim.calls.length;
    expect(await migrate(sim, {}, PATCH)).toBe("migrated");
    const again = sim.calls
      .slice(before)
      .filter((c) => c.verb === "patch" && c.resource === "deployments" && c.name === "web");
    expect(again).toHaveLength(1); // step 4's restart only
    const journal = (await readJournal(sim, NS)) as Journal;
    // The resumed run keeps the value the first run replaced, not the "absent" it finds now.
    expect(journal.changes.find((c) => c.id === "3.2")).toMatchObject({ previous: "true", state: "done" });
  });

  it("a run that crashed between its intent and the patch finishes it once, recording the original value", async () => {
    const sim = forcedSim();
    // Dies right after the journal write that records the template change's intent.
    const intent = (verb: string, args: unknown[]) =>
      verb === "apply" &&
      journalWrite(args)?.changes.some((c) => c.type === "template-metadata" && c.state === "intent") ===
        true;
    await expect(migrate(crashing(sim, intent), {}, PATCH)).rejects.toThrow();
    expect(await webTemplateLabels(sim)).toMatchObject({ [FORCE]: "true" });
    expect(await migrate(sim, {}, PATCH)).toBe("migrated");
    expect(await webTemplateLabels(sim)).toEqual({ app: "web" });
    const journal = (await readJournal(sim, NS)) as Journal;
    expect(journal.changes.find((c) => c.id === "3.2")).toMatchObject({ previous: "true", state: "done" });
  });

  it("rollback puts the recorded value back, then the restarted pods get their sidecars again", async () => {
    const sim = forcedSim();
    await migrate(sim, {}, PATCH);
    const lines: string[] = [];
    await rollbackNamespace(sim, NS, rollbackOptions({ out: (l) => lines.push(l) }));
    expect(await webTemplateLabels(sim)).toEqual({ app: "web", [FORCE]: "true" });
    expect(sim.nsLabels()).toEqual(INJECTION);
    expect(sim.pods().every(hasSidecar)).toBe(true);
    expect(lines).toContain(
      `kubectl patch deployment web -n ${NS} --type=merge -p '{"spec":{"template":{"metadata":{"labels":{"${FORCE}":"true"}}}}}'`,
    );
    // The template is restored before the restarts are redone.
    const restore = lines.findIndex((l) => l.startsWith("kubectl patch deployment web"));
    const restart = lines.findIndex((l) => l.startsWith("kubectl rollout restart"));
    expect(restore).toBeGreaterThanOrEqual(0);
    expect(restore).toBeLessThan(restart);
  });

  it("--dry-run=server sends the template patch as a dry run and changes nothing", async () => {
    const sim = forcedSim();
    const plan = await planFor(sim, PATCH);
    const before = sim.calls.length;
    expect(await migrateNamespace(sim, plan, options({ dryRun: "server" }))).toBe("dry-run");
    const web = sim.calls.slice(before).filter((c) => c.resource === "deployments" && c.name === "web");
    expect(web.some((c) => c.verb === "patch" && c.dryRun)).toBe(true);
    expect(await webTemplateLabels(sim)).toMatchObject({ [FORCE]: "true" });
  });
});
