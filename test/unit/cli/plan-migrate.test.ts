// One set of options builds every plan: for each plan flag, `migrate --dry-run=client` prints
// exactly the changes and checks that `plan` lists, on the same cluster (the in-memory one,
// holding the example mesh).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setClusterConnector } from "../../../src/cli/cluster-loader.js";
import { table } from "../../../src/cli/output.js";
import { PLAN_FLAGS, type PlanFlagName } from "../../../src/cli/plan-flags.js";
import { FakeClusterPort } from "../../../src/cluster/fake.js";
import { readManifests } from "../../../src/inventory/from-files.js";
import { K } from "../../../src/inventory/kinds.js";
import type { Plan } from "../../../src/plan/model.js";
import { EXAMPLE, runCli } from "../assess/helpers.js";

// legacy-vms is blocked; bookinfo is, unless its translation losses are accepted.
const NAMESPACES = ["-n", "bookinfo-canary", "-n", "orders", "-n", "payments"];

/** Each flag, and what else the plan needs to migrate with it (`with`). */
const FLAGS: Record<PlanFlagName, { flag: string[]; with: string[] }> = {
  acceptTranslationLosses: { flag: ["--accept-translation-losses"], with: ["-n", "bookinfo"] },
  bypassDeny: { flag: ["--bypass-deny"], with: [] },
  patchForcedInjection: { flag: ["--patch-forced-injection"], with: [] },
  skipRouteVerify: { flag: ["--skip-route-verify"], with: [] },
  // payments' selector policies cannot be mesh-wide targetRefs once it is the root namespace.
  rootNamespace: { flag: ["--root-namespace", "payments"], with: ["--accept-translation-losses"] },
};

let restore: Parameters<typeof setClusterConnector>[0] | undefined;

beforeAll(() => {
  const inventory = readManifests([EXAMPLE]).inventory;
  const objects = Object.values(K).flatMap((kind) => inventory.list(kind));
  const cluster = new FakeClusterPort(objects);
  restore = setClusterConnector(async () => cluster);
});

afterAll(() => {
  if (restore) setClusterConnector(restore);
});

/** What migrate --dry-run=client prints for a plan: each step's changes and checks. */
function expectedDryRun(plan: Plan): string {
  const lines = plan.namespaces.flatMap((n) =>
    n.steps.flatMap((s) => [
      `# step ${s.step}: ${s.title}`,
      ...s.commands,
      ...s.verify.map((v) => `# then: ${v}`),
    ]),
  );
  const results = plan.namespaces.map((n) => [n.namespace, "dry-run"]);
  return `${lines.map((l) => `${l}\n`).join("")}${table(["namespace", "result"], results)}`;
}

describe("plan and migrate --dry-run=client", () => {
  const all = Object.values(FLAGS);
  const cases: [string, { flag: string[]; with: string[] }][] = [
    ...Object.entries(FLAGS),
    ["every flag", { flag: [...new Set(all.flatMap((f) => f.flag))], with: ["-n", "bookinfo"] }],
  ];

  it("cover every plan flag", () => {
    expect(Object.keys(FLAGS).sort()).toEqual(Object.keys(PLAN_FLAGS).sort());
  });

  it.each(cases)("agree with %s", async (_name, c) => {
    const scope = [...NAMESPACES, ...c.with];
    const plan = await runCli(["plan", ...scope, ...c.flag, "-o", "json"]);
    expect(plan.code, plan.stderr).toBe(0);
    const parsed = JSON.parse(plan.stdout) as Plan;
    expect(parsed.namespaces.some((n) => n.blocked)).toBe(false);
    // The flag reaches the plan: without it, the plan is another one.
    expect((await runCli(["plan", ...scope, "-o", "json"])).stdout).not.toBe(plan.stdout);
    const migrate = await runCli(["migrate", ...scope, ...c.flag, "--dry-run=client"]);
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stdout).toBe(expectedDryRun(parsed));
  });
});
