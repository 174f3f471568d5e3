// The plan as commits (`plan --output-dir DIR [--format files|kustomize]`): per wave, namespace
// and step, the objects to add, the patches (merge patches: label and pod template changes, the
// restart stamp), the objects to delete and a README with the verify command, ready to commit one
// step at a time. Pure: the files as names and text.
//
//   DIR/README.md
//   DIR/wave-<w>/<ns>/base/                 (kustomize) the objects the steps patch, as the input had them
//   DIR/wave-<w>/<ns>/step-<n>-<id>/add/<kind>-<name>.yaml
//                                  /patches/<kind>-<name>.yaml
//                                  /delete.yaml     stubs: `kubectl delete -f delete.yaml`
//                                  /README.md
//                                  /kustomization.yaml (kustomize) resources: the step before + add/,
//                                                      patches: patches/; so step N is the state after N
//
// Patches are merge patches with the object's apiVersion, kind and name: kustomize reads them as
// strategic merge patches, `kubectl patch --type merge --patch-file` as they are; null removes a key.

import { stripServerFields } from "../backup/strip.js";
import { type Change, changeCommands } from "../changes/index.js";
import { podTemplatePath, RESTARTED_AT, restartedAtValue } from "../cluster/port.js";
import { describeRef, type ObjectRef, objectAt, objectKey, refOf } from "../inventory/identity.js";
import type { Inventory, KubeObject } from "../inventory/model.js";
import { kubectlTarget, nsFlag, selectorText } from "../kubectl.js";
import { type OutputFile, safeFileName } from "../output-files.js";
import type { NamespacePlan, Plan, Step } from "../plan/model.js";
import { toYaml } from "../serialize.js";
import type { Wave } from "../waves/order.js";

export type CommitFormat = "files" | "kustomize";

interface CommitOptions {
  format: CommitFormat;
  /** The restart stamp written into step 4's patches (kubectl rollout restart's annotation). */
  now: Date;
  /** How the verify command names the plan flags the user gave (e.g. --accept-translation-losses). */
  planFlags?: readonly string[];
}

/** A merge patch on one object, accumulated from the step's changes. */
interface Patch {
  ref: ObjectRef;
  body: KubeObject;
  what: string[];
}

interface StepFiles {
  dir: string;
  added: { ref: ObjectRef; file: string; reason: string; object: KubeObject }[];
  patches: { ref: ObjectRef; file: string; what: string[]; body: KubeObject }[];
  deleted: { ref: ObjectRef; reason: string }[];
  byHand: string[];
}

function stepDirName(step: Pick<Step, "step" | "id">): string {
  return `step-${step.step}-${step.id}`;
}

/** The verify command of a step, as the README prints it. */
function verifyCommand(namespace: string, step: number, flags: readonly string[] = []): string {
  return ["ambient-migrate migrate --verify-only -n", namespace, "--step", String(step), ...flags].join(" ");
}

function fileStem(ref: ObjectRef, namespace: string): string {
  const name = safeFileName(ref.name, `${ref.kind} name`);
  const ns =
    ref.namespace && ref.namespace !== namespace ? `${safeFileName(ref.namespace, "namespace")}-` : "";
  return `${ref.kind.toLowerCase()}-${ns}${name}`;
}

/** Gives each object of a directory its own file name (kinds of two groups may share a name). */
function namer(namespace: string): (ref: ObjectRef) => string {
  const used = new Map<string, string>();
  return (ref) => {
    const key = objectKey(ref);
    const stem = fileStem(ref, namespace);
    let name = `${stem}.yaml`;
    for (let i = 2; used.has(name) && used.get(name) !== key; i++) name = `${stem}-${i}.yaml`;
    used.set(name, key);
    return name;
  };
}

function patchOf(patches: Map<string, Patch>, ref: ObjectRef): Patch {
  const key = objectKey(ref);
  let patch = patches.get(key);
  if (!patch) {
    const metadata = { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) };
    patch = { ref, body: { apiVersion: ref.apiVersion, kind: ref.kind, metadata }, what: [] };
    patches.set(key, patch);
  }
  return patch;
}

/** Sets `value` at `path` under `root`, creating the maps on the way. */
function setIn(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

const templateField = (kind: string, field: "labels" | "annotations", key: string) => [
  ...podTemplatePath(kind),
  "metadata",
  field,
  key,
];

/** Sorts one change into the step's files. */
function addChange(
  change: Change,
  files: {
    added: { object: KubeObject; reason: string; replaces: boolean }[];
    patches: Map<string, Patch>;
    deleted: StepFiles["deleted"];
    byHand: string[];
  },
  now: Date,
): void {
  switch (change.type) {
    case "label": {
      const p = patchOf(files.patches, change.target);
      setIn(p.body as Record<string, unknown>, ["metadata", "labels", change.key], change.value);
      p.what.push(
        change.value === null ? `removes label ${change.key}` : `sets label ${change.key}=${change.value}`,
      );
      return;
    }
    case "template-metadata": {
      const p = patchOf(files.patches, change.target);
      setIn(
        p.body as Record<string, unknown>,
        templateField(change.target.kind, change.field, change.key),
        change.value,
      );
      p.what.push(
        change.value === null
          ? `removes ${change.key} from the pod template's ${change.field}`
          : `sets ${change.key}=${change.value} in the pod template's ${change.field}`,
      );
      return;
    }
    case "restart":
      if (change.method === "rollout-restart") {
        const p = patchOf(files.patches, change.target);
        setIn(
          p.body as Record<string, unknown>,
          templateField(change.target.kind, "annotations", RESTARTED_AT),
          restartedAtValue(now),
        );
        p.what.push(`restarts its pods (${RESTARTED_AT}, as kubectl rollout restart)`);
      } else {
        files.byHand.push(
          `${describeRef(change.target)} cannot be restarted by a template change: ${deletePodsLine(change)}`,
        );
      }
      return;
    case "apply":
      files.added.push({ object: change.object, reason: change.reason, replaces: !change.created });
      return;
    case "delete":
      files.deleted.push({ ref: change.target, reason: change.reason });
      return;
    case "backup":
      files.byHand.push(
        `before deleting, back up what delete.yaml lists: ambient-migrate backup -n ${change.namespace} (a verified backup; rollback restores from it)`,
      );
      return;
    case "record-routes":
      files.byHand.push(
        `before applying this step, while the sidecars still follow the VirtualServices, compare later against what they do now: ${changeCommands(change)[0]}`,
      );
      return;
    default:
      change satisfies never;
  }
}

function deletePodsLine(change: Extract<Change, { type: "restart" }>): string {
  return `kubectl delete pods${nsFlag(change.target)} -l ${selectorText(change.podSelector ?? {})}`;
}

function kustomization(resources: readonly string[], patches: readonly string[]): string {
  return toYaml({
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    ...(resources.length > 0 ? { resources } : {}),
    ...(patches.length > 0 ? { patches: patches.map((path) => ({ path })) } : {}),
  });
}

function deleteList(deleted: StepFiles["deleted"]): string {
  return deleted
    .map(({ ref }) =>
      toYaml({
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
      }),
    )
    .join("---\n");
}

function stepReadme(
  plan: NamespacePlan,
  step: Step,
  wave: number,
  files: StepFiles,
  previous: string | undefined,
  options: CommitOptions,
): string {
  const ns = plan.namespace;
  const out = [
    `# ${ns}, step ${step.step}: ${step.title}`,
    "",
    `Wave ${wave}. Commit this directory ${previous ? `once ${previous} has synced and verified` : "first"}; after the sync, verify it:`,
    "",
    `    ${verifyCommand(ns, step.step, options.planFlags)}`,
    "",
    "It runs this step's checks on the cluster without changing anything (exit 0: go on; exit 9: not yet, or not in place).",
    "",
  ];
  const section = (title: string, lines: string[]) => {
    if (lines.length === 0) return;
    out.push(`## ${title}`, "", ...lines.map((l) => `- ${l}`), "");
  };
  section(
    "Objects to add (add/)",
    files.added.map(
      (a) =>
        `${describeRef(a.ref)} (${a.file}): ${a.reason}${a.ref.namespace && a.ref.namespace !== ns ? ` (namespace ${a.ref.namespace}: update its copy in ${a.ref.namespace}'s directories too, or a later sync of those puts the old one back)` : ""}`,
    ),
  );
  section(
    "Patches (patches/)",
    files.patches.map((p) => `${describeRef(p.ref)} (${p.file}): ${p.what.join("; ")}`),
  );
  section(
    "Objects to delete (delete.yaml): remove them from Git, so that prune deletes them",
    files.deleted.map((d) => `${describeRef(d.ref)}: ${d.reason}`),
  );
  section("By hand", files.byHand);
  section("Checks", step.verify);
  section("Notes", step.notes);
  out.push("## Apply without a GitOps controller", "", "```sh");
  if (options.format === "kustomize") out.push("kubectl apply --server-side -k .");
  else {
    if (files.added.length > 0) out.push("kubectl apply --server-side -f add/");
    for (const p of files.patches)
      out.push(`kubectl patch ${kubectlTarget(p.ref)} --type merge --patch-file patches/${p.file}`);
  }
  if (files.deleted.length > 0) out.push("kubectl delete -f delete.yaml");
  out.push(verifyCommand(ns, step.step, options.planFlags), "```", "");
  return out.join("\n");
}

/** The files of one namespace's steps, under `dir`. */
function namespaceFiles(
  inventory: Inventory,
  plan: NamespacePlan,
  wave: number,
  dir: string,
  options: CommitOptions,
): OutputFile[] {
  const out: OutputFile[] = [];
  const ns = plan.namespace;
  const baseObjects = new Map<string, KubeObject>();
  let previous: string | undefined;
  const steps: { step: Step; files: StepFiles }[] = [];
  for (const step of plan.steps) {
    const collected = {
      added: [] as { object: KubeObject; reason: string; replaces: boolean }[],
      patches: new Map<string, Patch>(),
      deleted: [] as StepFiles["deleted"],
      byHand: [] as string[],
    };
    for (const change of step.changes) addChange(change, collected, options.now);
    const name = namer(ns);
    const files: StepFiles = {
      dir: `${dir}/${stepDirName(step)}`,
      added: collected.added.map((a) => ({
        ref: refOf(a.object),
        file: name(refOf(a.object)),
        reason: a.replaces
          ? `${a.reason}; it replaces the object of that name: change your manifest of it`
          : a.reason,
        object: a.object,
      })),
      patches: [...collected.patches.values()].map((p) => ({
        ref: p.ref,
        file: name(p.ref),
        what: p.what,
        body: p.body,
      })),
      deleted: collected.deleted,
      byHand: collected.byHand,
    };
    for (const p of collected.patches.values()) {
      const key = objectKey(p.ref);
      const object = objectAt(inventory, p.ref);
      if (object && !baseObjects.has(key)) baseObjects.set(key, stripServerFields(object));
    }
    steps.push({ step, files });
  }
  // The objects the steps patch, so that kustomize has them to patch; as the input had them.
  const base = `${dir}/base`;
  if (options.format === "kustomize" && baseObjects.size > 0) {
    const name = namer(ns);
    const names: string[] = [];
    for (const o of baseObjects.values()) {
      const file = name(refOf(o));
      names.push(file);
      out.push({ name: `${base}/${file}`, text: toYaml(o) });
    }
    out.push({ name: `${base}/kustomization.yaml`, text: kustomization(names, []) });
    previous = "base";
  }
  let previousStep: string | undefined;
  for (const { step, files } of steps) {
    for (const a of files.added) out.push({ name: `${files.dir}/add/${a.file}`, text: toYaml(a.object) });
    for (const p of files.patches) out.push({ name: `${files.dir}/patches/${p.file}`, text: toYaml(p.body) });
    if (files.deleted.length > 0)
      out.push({ name: `${files.dir}/delete.yaml`, text: deleteList(files.deleted) });
    if (options.format === "kustomize")
      out.push({
        name: `${files.dir}/kustomization.yaml`,
        text: kustomization(
          [...(previous ? [`../${previous}`] : []), ...files.added.map((a) => `add/${a.file}`)],
          files.patches.map((p) => `patches/${p.file}`),
        ),
      });
    out.push({
      name: `${files.dir}/README.md`,
      text: stepReadme(plan, step, wave, files, previousStep, options),
    });
    previous = stepDirName(step);
    previousStep = previous;
  }
  return out;
}

function topReadme(plan: Plan, waves: readonly Wave[], options: CommitOptions): string {
  const moving = new Set(waves.flatMap((w) => w.namespaces));
  const out = [
    "# The migration to ambient, as commits",
    "",
    `Written by \`ambient-migrate plan --output-dir\` (format ${options.format}). Commit one step directory at a time,`,
    "wave after wave, namespace by namespace; after each sync run the step's verify command (its README",
    "says which) and go on only when it exits 0.",
    "",
    options.format === "kustomize"
      ? "Each step's kustomization.yaml builds on the step before it (base/ holds the objects the steps patch, as they were: point it at your own manifests), so step N is the whole state after step N: `kubectl apply -k` it, then `kubectl delete -f delete.yaml` where there is one."
      : "Each step lists objects to add (add/), merge patches for objects you already have (patches/: make the same change in your manifests, or `kubectl patch --type merge --patch-file`), and objects to delete (delete.yaml).",
    "",
  ];
  for (const w of waves) {
    out.push(`## Wave ${w.wave}: ${w.namespaces.join(", ")}`, "");
    for (const why of w.why) out.push(`- ${why}`);
    for (const ns of w.namespaces) {
      const p = plan.namespaces.find((n) => n.namespace === ns);
      out.push(`- \`wave-${w.wave}/${ns}/\`: ${p?.steps.map((s) => stepDirName(s)).join(", ") ?? ""}`);
    }
    out.push("");
  }
  const staying = plan.namespaces.filter((p) => !moving.has(p.namespace));
  if (staying.length > 0) {
    out.push("## Not written", "");
    for (const p of staying)
      out.push(
        p.blocked
          ? `- ${p.namespace}: blocked: ${p.blockers.map((b) => b.message).join("; ") || (p.notes[0] ?? "")}`
          : `- ${p.namespace}: ${p.state.summary}: ${p.notes[0] ?? "nothing to do"}`,
      );
    out.push("");
  }
  return out.join("\n");
}

/** Every file of the plan as commits, with names relative to the output directory. */
export function planCommits(
  inventory: Inventory,
  plan: Plan,
  waves: readonly Wave[],
  options: CommitOptions,
): OutputFile[] {
  const out: OutputFile[] = [{ name: "README.md", text: topReadme(plan, waves, options) }];
  for (const w of waves)
    for (const ns of w.namespaces) {
      const nsPlan = plan.namespaces.find((p) => p.namespace === ns);
      if (!nsPlan) continue;
      out.push(
        ...namespaceFiles(
          inventory,
          nsPlan,
          w.wave,
          `wave-${w.wave}/${safeFileName(ns, "namespace")}`,
          options,
        ),
      );
    }
  return out;
}
