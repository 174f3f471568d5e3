// What every command shares: the kubectl-style global flags, the inventory they point at, and
// the namespaces they select. Commands get a CommandContext and never read flags themselves.

import { setFlagsFromString } from "node:v8";
import type { Command } from "commander";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import type { ClusterReadScope } from "../inventory/from-cluster.js";
import { readManifests } from "../inventory/from-files.js";
import { type Inventory, labelsOf } from "../inventory/model.js";
import { parseSelector } from "../inventory/selector.js";
import { someOf } from "../text.js";
import { readClusterInventory } from "./cluster-loader.js";
import { type OutputFormat, parseOutputFormat } from "./output.js";

export interface GlobalOptions {
  kubeconfig?: string;
  context?: string;
  namespace: string[];
  allNamespaces: boolean;
  selector?: string;
  output: OutputFormat;
  filename: string[];
  /** false with --no-color (colour is then off whatever the environment says; see color.ts). */
  color: boolean;
}

/**
 * accept.html: the command renders `-o html` (given back as its human form, "table").
 * accept.namespaceArgs: namespaces given as arguments (`migrate NS...`), taken as -n.
 */
export function globalOptions(
  command: Command,
  accept: { html?: boolean; namespaceArgs?: readonly string[] } = {},
): GlobalOptions {
  const o = command.optsWithGlobals() as Record<string, unknown>;
  if (o.output === "html") {
    if (!accept.html)
      throw new AmbientMigrateError(
        `-o html is not an output of \`${command.name()}\``,
        ExitCode.usage,
        "use -o table, -o json or -o yaml; the HTML report is `ambient-migrate report -o html`",
      );
    o.output = "table";
  }
  const namespace = [
    ...new Set(
      [...((o.namespace as string[] | undefined) ?? []), ...(accept.namespaceArgs ?? [])]
        .flatMap((n) => n.split(","))
        .filter(Boolean),
    ),
  ];
  if (namespace.length > 0 && o.allNamespaces === true)
    throw new AmbientMigrateError(
      "-n/--namespace and -A/--all-namespaces select namespaces differently: give one of them",
      ExitCode.usage,
    );
  return {
    ...(o.kubeconfig ? { kubeconfig: o.kubeconfig as string } : {}),
    ...(o.context ? { context: o.context as string } : {}),
    namespace,
    allNamespaces: o.allNamespaces === true,
    ...(o.selector ? { selector: o.selector as string } : {}),
    output: parseOutputFormat((o.output as string | undefined) ?? "table"),
    filename: (o.filename as string[] | undefined) ?? [],
    color: o.color !== false,
  };
}

export interface LoadedMesh {
  inventory: Inventory;
  /** The namespaces the flags select, sorted. */
  namespaces: string[];
  /** A line for stderr saying what was read. */
  summary: string;
}

/**
 * Reads the input the flags name; `note` says where it connects (progress goes to stderr).
 * `scope` narrows a live read to what the command reads (status); files are read whole.
 */
export async function loadMesh(
  options: GlobalOptions,
  note: (message: string) => void,
  scope?: ClusterReadScope,
): Promise<LoadedMesh> {
  let inventory: Inventory;
  let summary: string;
  if (options.filename.length > 0) {
    // Most objects a parser makes die at once (reading keeps one copy of each repeated subtree),
    // but V8 may judge the parser's allocation sites long-lived from the first files and then
    // allocate every object it makes in the old generation, where a 200 MB plan then collected
    // ~500 MB of garbage every few seconds: 38-61 s and 1.29-1.48 GB, against 36-45 s and
    // 1.13-1.18 GB with pretenuring off.
    setFlagsFromString("--no-allocation-site-pretenuring");
    const singleNs = options.namespace.length === 1 ? options.namespace[0] : undefined;
    const read = readManifests(options.filename, singleNs ? { defaultNamespace: singleNs } : {});
    inventory = read.inventory;
    if (inventory.redefined.length > 0) {
      const where = (o: { file: string; line: number }) => `${o.file}:${o.line}`;
      note(
        `${inventory.redefined.length} object(s) defined more than once; the last definition is read, as kubectl apply leaves it: ${someOf(
          inventory.redefined.map((d) => `${d.ref} (${where(d.first)}, again at ${where(d.again)})`),
        )}`,
      );
    }
    if (read.unrendered.length > 0)
      note(`not read, render first (kustomize build / helm template): ${read.unrendered.join(", ")}`);
    const skipped = [...inventory.skipped.values()].reduce((a, b) => a + b, 0);
    summary =
      `read ${read.documents} document(s) from ${read.files} file(s): ${inventory.count()} object(s)` +
      (skipped > 0
        ? `, ${skipped} of kinds the migration ignores skipped (${[...inventory.skipped.keys()].join(", ")})`
        : "");
  } else {
    inventory = await readClusterInventory(options, note, scope);
    summary = `read ${inventory.count()} object(s) from the cluster`;
  }
  return { inventory, namespaces: selectNamespaces(inventory, options, note), summary };
}

export function selectNamespaces(
  inventory: Inventory,
  options: GlobalOptions,
  note: (message: string) => void,
): string[] {
  const known = inventory.namespaceNames();
  let selected: string[];
  if (options.namespace.length > 0) {
    const missing = options.namespace.filter((n) => !known.includes(n));
    if (missing.length > 0) {
      throw new AmbientMigrateError(
        `namespace(s) not found: ${missing.join(", ")}`,
        ExitCode.notFound,
        known.length > 0
          ? `namespaces in the input: ${known.join(", ")}`
          : "the input holds no namespace at all",
      );
    }
    selected = [...options.namespace];
  } else {
    // With files the natural default is everything in them; live, -A must be explicit.
    if (inventory.source.type === "cluster" && !options.allNamespaces && !options.selector) {
      throw new AmbientMigrateError(
        "no namespace selected",
        ExitCode.usage,
        "name namespaces with -n NS (repeatable), all of them with -A, or select them by label with -l",
      );
    }
    selected = known;
  }
  if (options.selector) {
    const matches = parseSelector(options.selector);
    const before = selected.length;
    selected = selected.filter((n) => matches(labelsOf(inventory.namespaceObject(n))));
    if (selected.length === 0)
      note(`no namespace matches -l ${options.selector} (${before} namespace(s) looked at)`);
  }
  return [...new Set(selected)].sort();
}
