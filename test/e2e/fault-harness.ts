// What the cluster-fault tests share: stopping and starting testbed components (state kept),
// the CLI as a background process whose stderr is followed, and "nothing lost, measured": every
// Istio, Gateway API and core object of a namespace compared, object by object, with the state
// before migration (after a rollback) or with that state plus exactly the plan's changes (after
// a resumed migration).

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, inject } from "vitest";
import { stripServerFields } from "../../src/backup/strip.js";
import type { ClusterPort } from "../../src/cluster/port.js";
import { RESTARTED_AT } from "../../src/cluster/port.js";
import { K, KINDS, kindInfo } from "../../src/inventory/kinds.js";
import type { KubeObject } from "../../src/inventory/model.js";
import { A, L } from "../../src/mesh/labels.js";
import { sidecarFacts } from "../../src/mesh/sidecar.js";
import { JOURNAL_NAME } from "../../src/run/journal.js";
import { faultKubeconfig, faultTestbedEnv, faultTestbedUp } from "./fault-testbed.js";
import { cli, kubeconfigPath, kubectl, type Result, repoRoot, useKubeconfig } from "./harness.js";

const run = promisify(execFile);
const scripts = join(repoRoot, "testbed/scripts");

// --- testbed components -----------------------------------------------------------------------

const script = (name: string, args: readonly string[]) =>
  run(join(scripts, name), [...args], { env: faultTestbedEnv, maxBuffer: 16 << 20 });

/**
 * Stops one component of the fault testbed (etcd data, PKI, kubeconfig and the others kept);
 * `kill`: as a crash (SIGKILL), which also spares the apiserver's lingering graceful exit.
 */
export async function stopComponent(name: string, kill = false): Promise<void> {
  await script("stop.sh", kill ? ["--kill", name] : [name]);
}

/** Starts one stopped component again (up.sh --only NAME, as `npm run testbed:start -- NAME`). */
export async function startComponent(name: string): Promise<void> {
  await script("up.sh", ["--only", name]);
}

/** up.sh: starts whatever is not running; its log (stderr) says what it did. */
export async function upTestbed(): Promise<string> {
  return (await script("up.sh", [])).stderr;
}

/**
 * Starts whatever is not running, then waits (on watches, through kubectl) until the nodes and
 * ztunnel are Ready again: the next test starts from a whole testbed.
 */
export async function healTestbed(): Promise<void> {
  await upTestbed();
  await kubectl(["wait", "--for=condition=Ready", "node", "--all", "--timeout=120s"]);
  await kubectl(["-n", "istio-system", "rollout", "status", "daemonset/ztunnel", "--timeout=120s"]);
}

/** Brings the fault testbed up (fresh, or what is missing); says whether it was up already. */
export async function startFaultTestbed(): Promise<boolean> {
  const wasUp = faultTestbedUp();
  await script("up.sh", []);
  useKubeconfig(faultKubeconfig);
  return wasUp;
}

// --- one fault window shared by concurrent tests ---------------------------------------------

/**
 * One outage of a component shared by the concurrent tests of a describe block, so that the
 * file pays for one stop and one start per component rather than one per case. Each test takes
 * a party; `ready` waits until every party has prepared, `begin` stops the component once all
 * have arrived, `end` starts it again once all have arrived. A test that fails leaves (finally):
 * the others never wait for it.
 */
export class FaultWindow {
  private readonly live = new Set<number>();
  private readonly barriers = new Map<
    string,
    {
      arrived: Set<number>;
      fired: boolean;
      action: () => Promise<void>;
      done: Promise<void>;
      release: () => void;
      fail: (e: unknown) => void;
    }
  >();
  private next = 0;

  constructor(
    parties: number,
    private readonly stop: () => Promise<void>,
    private readonly start: () => Promise<void>,
  ) {
    for (let i = 0; i < parties; i++) this.live.add(i);
  }

  join(): Party {
    const id = this.next++;
    if (!this.live.has(id)) throw new Error(`FaultWindow: more parties than the ${this.live.size} declared`);
    const at = (name: string, action: () => Promise<void>) => this.arrive(name, id, action);
    return {
      ready: () => at("ready", async () => {}),
      begin: () => at("begin", this.stop),
      end: () => at("end", this.start),
      leave: () => {
        this.live.delete(id);
        for (const name of this.barriers.keys()) this.check(name);
      },
    };
  }

  private barrier(name: string, action: () => Promise<void>) {
    let b = this.barriers.get(name);
    if (!b) {
      let release = () => {};
      let fail: (e: unknown) => void = () => {};
      const done = new Promise<void>((resolve, reject) => {
        release = resolve;
        fail = reject;
      });
      b = { arrived: new Set(), fired: false, action, done, release, fail };
      this.barriers.set(name, b);
    }
    return b;
  }

  private arrive(name: string, id: number, action: () => Promise<void>): Promise<void> {
    const b = this.barrier(name, action);
    b.arrived.add(id);
    this.check(name);
    return b.done;
  }

  private check(name: string): void {
    const b = this.barriers.get(name);
    if (!b || b.fired || b.arrived.size === 0 || [...this.live].some((id) => !b.arrived.has(id))) return;
    b.fired = true;
    b.action().then(b.release, b.fail);
  }
}

export interface Party {
  /** Every party has prepared its namespace. */
  ready(): Promise<void>;
  /** The component is stopped (by the last party to arrive). */
  begin(): Promise<void>;
  /** The component runs again (started by the last party to arrive). */
  end(): Promise<void>;
  /** This party is done, or failed: the others stop waiting for it. */
  leave(): void;
}

// --- the CLI in the background ----------------------------------------------------------------

export interface Background {
  child: ChildProcess;
  stderr(): string;
  /** Resolves once stderr matches (rejects when the process exits first). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exit: Promise<Result>;
}

export function background(args: readonly string[]): Background {
  const bin = inject("binDir");
  const child = spawn(process.execPath, [join(repoRoot, "bin/ambient-migrate.js"), ...args], {
    env: {
      ...process.env,
      KUBECONFIG: kubeconfigPath(),
      PATH: bin ? `${bin}:${process.env.PATH}` : process.env.PATH,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout?.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
    for (const w of [...waiters])
      if (w.pattern.test(stderr)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  });
  const exit = new Promise<Result>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code: signal ? -1 : (code ?? 0), stdout, stderr })),
  );
  return {
    child,
    stderr: () => stderr,
    exit,
    waitFor: (pattern, timeoutMs = 120_000) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(stderr)) return resolve();
        const timer = setTimeout(
          () => reject(new Error(`no ${pattern} on stderr within ${timeoutMs} ms:\n${stderr}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        void exit.then((r) => reject(new Error(`exited ${r.code} before ${pattern}:\n${r.stderr}`)));
      }),
  };
}

// --- nothing lost, measured ---------------------------------------------------------------

/** Every Istio and Gateway API kind, the core kinds and the workloads; pods are summarised apart. */
const COMPARED = KINDS.filter(
  (k) =>
    k.namespaced &&
    k.kind !== "Pod" &&
    k.kind !== "ReplicaSet" &&
    k.kind !== "Job" &&
    (k.group === "" ||
      k.group === "apps" ||
      k.group === "batch" ||
      k.group.endsWith("istio.io") ||
      k.group === "gateway.networking.k8s.io"),
);

/** Objects the cluster itself makes in every namespace, and the tool's own bookkeeping. */
const NOT_COMPARED = new Set([
  `ConfigMap ${JOURNAL_NAME}`,
  "ConfigMap kube-root-ca.crt",
  "ConfigMap istio-ca-root-cert",
]);

export interface NamespaceState {
  /** "apiVersion Kind name" -> the object without server fields and rollout stamps. */
  objects: Map<string, KubeObject>;
  /** One line per application pod: its app, and its containers. */
  pods: string[];
}

const idOf = (o: Pick<KubeObject, "apiVersion" | "kind" | "metadata">) =>
  `${o.apiVersion} ${o.kind} ${o.metadata.name}`;

function normalised(o: KubeObject): KubeObject {
  const s = stripServerFields(o);
  // What a rollout changes on its own: the revision counter and the restart stamp.
  delete s.metadata.annotations?.["deployment.kubernetes.io/revision"];
  if (s.metadata.annotations && Object.keys(s.metadata.annotations).length === 0)
    delete s.metadata.annotations;
  const template = s.spec?.template?.metadata;
  if (template?.annotations) {
    delete template.annotations[RESTARTED_AT];
    if (Object.keys(template.annotations).length === 0) delete template.annotations;
  }
  return s;
}

function containersOf(p: KubeObject): string {
  const init = ((p.spec.initContainers ?? []) as { name: string }[]).map((c) => `init:${c.name}`);
  return [...init, ...(p.spec.containers as { name: string }[]).map((c) => c.name)].join(",");
}

export async function namespaceState(port: ClusterPort, ns: string): Promise<NamespaceState> {
  const objects = new Map<string, KubeObject>();
  const namespace = await port.get({ apiVersion: "v1", kind: "Namespace", name: ns });
  if (namespace) objects.set(idOf(namespace), normalised(namespace));
  const served = await Promise.all(COMPARED.map((k) => port.hasResource(k.group, k.version, k.plural)));
  for (const kind of COMPARED.filter((_, i) => served[i]))
    for (const o of (await port.list(kind, ns)).items)
      if (!NOT_COMPARED.has(`${o.kind} ${o.metadata.name}`)) objects.set(idOf(o), normalised(o));
  const pods = (await port.list(kindInfo(K.Pod), ns)).items
    .filter((p) => !p.metadata.deletionTimestamp && p.metadata.labels?.[L.dataplaneMode] !== "none")
    .map((p) => `${p.metadata.labels?.app} ${containersOf(p)}`)
    .sort();
  return { objects, pods };
}

/** Objects istiod makes for a waypoint (owned by its Gateway): they come and go with it. */
function ownedByGateway(o: KubeObject): boolean {
  return (o.metadata.ownerReferences ?? []).some((r) => r.kind === "Gateway");
}

/** After a rollback: the same objects, field for field, and the same pods with their sidecars. */
export function expectSameState(after: NamespaceState, before: NamespaceState): void {
  const lost = [...before.objects.keys()].filter((id) => !after.objects.has(id));
  const added = [...after.objects.keys()].filter((id) => !before.objects.has(id));
  expect({ lost, added }, "objects lost or left behind").toEqual({ lost: [], added: [] });
  for (const [id, object] of before.objects) expect(after.objects.get(id), id).toEqual(object);
  expect(after.pods).toEqual(before.pods);
}

interface PlanChange {
  type: string;
  target?: { apiVersion: string; kind: string; name: string };
  key?: string;
  value?: string | null;
  field?: "labels" | "annotations";
  object?: KubeObject;
}

/** Every field of `wanted` has the same value in `live` (the apiserver adds defaults). */
function contains(live: unknown, wanted: unknown): boolean {
  if (wanted === null || typeof wanted !== "object") return live === wanted;
  if (Array.isArray(wanted))
    return (
      Array.isArray(live) && live.length === wanted.length && wanted.every((w, i) => contains(live[i], w))
    );
  if (!live || typeof live !== "object") return false;
  return Object.entries(wanted).every(([k, v]) => contains((live as Record<string, unknown>)[k], v));
}

/**
 * After a migration: the state before with exactly the plan's changes (labels set and removed,
 * objects applied, objects deleted), every other object unchanged, and every application pod
 * without a sidecar, redirected to ztunnel. `edits` are changes a test made on purpose that
 * must survive (e.g. an edited HTTPRoute the tool must not overwrite).
 */
export function expectAmbientState(
  after: NamespaceState,
  before: NamespaceState,
  plan: { steps: { changes: PlanChange[] }[] },
  edits: Record<string, (o: KubeObject) => void> = {},
): void {
  const expected = new Map([...before.objects].map(([id, o]) => [id, structuredClone(o)]));
  const applied = new Map<string, KubeObject>();
  for (const change of plan.steps.flatMap((s) => s.changes)) {
    const target = change.target
      ? expected.get(idOf({ ...change.target, metadata: { name: change.target.name } }))
      : undefined;
    if (change.type === "label" && target && change.key) {
      target.metadata.labels ??= {};
      const labels = target.metadata.labels;
      if (change.value === null || change.value === undefined) delete labels[change.key];
      else labels[change.key] = change.value;
    } else if (change.type === "template-metadata" && target && change.key && change.field) {
      target.spec.template.metadata[change.field] ??= {};
      const meta = target.spec.template.metadata[change.field];
      if (change.value === null || change.value === undefined) delete meta[change.key];
      else meta[change.key] = change.value;
    } else if (change.type === "apply" && change.object) {
      applied.set(idOf(change.object), change.object);
    } else if (change.type === "delete" && change.target) {
      expected.delete(idOf({ ...change.target, metadata: { name: change.target.name } }));
    }
  }
  for (const [id, edit] of Object.entries(edits)) {
    const o = applied.get(id) ?? expected.get(id);
    if (o) edit(o);
  }
  const problems: string[] = [];
  for (const [id, wanted] of applied) {
    const live = after.objects.get(id);
    if (!live) problems.push(`${id}: applied by the plan, missing`);
    else if (!contains(live, stripServerFields(wanted)))
      problems.push(`${id}: differs from the plan's object`);
  }
  for (const [id, wanted] of expected) {
    if (applied.has(id)) continue;
    const live = after.objects.get(id);
    if (!live) problems.push(`${id}: lost`);
    else if (JSON.stringify(live) !== JSON.stringify(wanted)) expect(live, id).toEqual(wanted);
  }
  for (const [id, live] of after.objects)
    if (!expected.has(id) && !applied.has(id) && !ownedByGateway(live)) problems.push(`${id}: not expected`);
  expect(problems).toEqual([]);
  expect(after.pods.length).toBe(before.pods.length);
  for (const pod of after.pods) expect(pod).not.toContain("istio-proxy");
}

/** Application pods are redirected to ztunnel and run no sidecar. */
export async function expectPodsAmbient(port: ClusterPort, ns: string): Promise<void> {
  const pods = (await port.list(kindInfo(K.Pod), ns)).items.filter(
    (p) => !p.metadata.deletionTimestamp && p.metadata.labels?.[L.dataplaneMode] !== "none",
  );
  expect(pods.length).toBeGreaterThan(0);
  for (const p of pods) {
    expect(p.metadata.annotations?.[A.redirection], p.metadata.name).toBe("enabled");
    expect(sidecarFacts(p.spec, p.metadata.annotations ?? {}).hasSidecar, p.metadata.name).toBe(false);
  }
}

/** The plan migrate will follow, as data. */
export async function planOf(ns: string): Promise<{ steps: { step: number; changes: PlanChange[] }[] }> {
  const r = await cli(["plan", "-n", ns, "-o", "json"]);
  if (r.code !== 0) throw new Error(`plan failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { namespaces: { steps: { step: number; changes: PlanChange[] }[] }[] })
    .namespaces[0] as never;
}
