// The backup step 5 depends on: every Istio, Gateway API and related object of a namespace, plus
// the Namespace and its Services, stripped of server-set fields, written as YAML that kubectl
// applies as is, then read back and compared before anyone may delete anything.

import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parseAllDocuments } from "yaml";
import type { ClusterPort } from "../cluster/port.js";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import { mapLimited } from "../inventory/from-cluster.js";
import { type ObjectRef, objectKey } from "../inventory/identity.js";
import { K, type KindInfo, type KnownKindKey, kindInfo, kindKey } from "../inventory/kinds.js";
import type { KubeObject } from "../inventory/model.js";
import { toYaml } from "../serialize.js";
import { stripServerFields } from "./strip.js";

/** procedure.md section 4: what the guide's backup misses is included here. */
const BACKUP_KINDS: readonly KnownKindKey[] = [
  K.VirtualService,
  K.DestinationRule,
  K.AuthorizationPolicy,
  K.RequestAuthentication,
  K.PeerAuthentication,
  K.IstioGateway,
  K.Gateway,
  K.HTTPRoute,
  K.GRPCRoute,
  K.TCPRoute,
  K.TLSRoute,
  K.ReferenceGrant,
  K.Telemetry,
  K.EnvoyFilter,
  K.WasmPlugin,
  K.Sidecar,
  K.ServiceEntry,
  K.WorkloadEntry,
  K.WorkloadGroup,
];

export interface BackupHeader {
  cluster: string;
  context: string;
  time: string;
  toolVersion: string;
  namespaces: string[];
  /** Objects the run that took this backup creates: not in the file; delete them to undo it. */
  creates?: string[];
}

interface CollectedBackup {
  objects: KubeObject[];
  /** Kinds the cluster does not serve (CRD absent), so nothing of them can exist. */
  absentKinds: string[];
}

/** Objects created by a controller (istiod's waypoint Service, ...) come back with their owner. */
function ownedByController(object: KubeObject): boolean {
  return (object.metadata.ownerReferences ?? []).some((o) => o.controller === true);
}

export async function collectBackup(
  port: ClusterPort,
  namespaces: readonly string[],
): Promise<CollectedBackup> {
  const kinds = [...BACKUP_KINDS, K.Service].map(kindInfo);
  const served = await mapLimited(kinds, 4, (k) =>
    k.group === "" ? Promise.resolve(true) : port.hasResource(k.group, k.version, k.plural),
  );
  const present = kinds.filter((_, i) => served[i]);
  const absentKinds = kinds.filter((_, i) => !served[i]).map((k) => kindKey(k.group, k.kind));
  const jobs: { kind: KindInfo; namespace: string }[] = namespaces.flatMap((namespace) =>
    present.map((kind) => ({ kind, namespace })),
  );
  const lists = await mapLimited(jobs, 4, (job) => port.list(job.kind, job.namespace));
  const objects: KubeObject[] = [];
  for (const namespace of namespaces) {
    const ns = await port.get({ apiVersion: "v1", kind: "Namespace", name: namespace });
    if (!ns) {
      throw new AmbientMigrateError(
        `namespace ${namespace} not found`,
        ExitCode.notFound,
        "check the name with kubectl get namespaces",
      );
    }
    objects.push(stripServerFields(ns));
    lists.forEach((list, i) => {
      if (jobs[i]?.namespace !== namespace) return;
      for (const o of list.items) if (!ownedByController(o)) objects.push(stripServerFields(o));
    });
  }
  return { objects, absentKinds };
}

/** Named objects as they are now, stripped (e.g. the ConfigMaps `observability --apply` rewrites). */
export async function collectNamed(
  port: ClusterPort,
  refs: readonly ObjectRef[],
): Promise<{ objects: KubeObject[]; missing: ObjectRef[] }> {
  const found = await mapLimited(refs, 4, (ref) => port.get(ref));
  return {
    objects: found.filter((o): o is KubeObject => o !== undefined).map(stripServerFields),
    missing: refs.filter((_, i) => found[i] === undefined),
  };
}

export function renderBackup(header: BackupHeader, objects: readonly KubeObject[]): string {
  const lines = [
    "# ambient-migrate backup: re-create with `kubectl apply -f <this file>`",
    "# (or restore selectively with ambient-migrate rollback, which skips newer objects).",
    `# cluster: ${header.cluster}`,
    `# context: ${header.context}`,
    `# time: ${header.time}`,
    `# tool: ambient-migrate ${header.toolVersion}`,
    `# namespaces: ${header.namespaces.join(", ")}`,
    `# objects: ${objects.length}`,
    ...(header.creates?.length
      ? [`# creates (not in this file; delete to undo): ${header.creates.join(", ")}`]
      : []),
  ];
  return `${lines.join("\n")}\n${objects.map((o) => `---\n${toYaml(o)}`).join("")}`;
}

/** Reads a backup file: YAML 1.1, as kubectl will read it. */
export function readBackup(text: string, file: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text, { version: "1.1" })) {
    if (doc.errors.length > 0) {
      throw new AmbientMigrateError(
        `backup ${file} is not valid YAML: ${doc.errors[0]?.message.split("\n")[0]}`,
        ExitCode.invalidInput,
        "the file was changed or truncated; take a new backup",
      );
    }
    const value = doc.toJS() as KubeObject | null;
    if (value) objects.push(value);
  }
  return objects;
}

/** Every object present and parsed back equal; otherwise the backup is not trusted. */
export function verifyBackup(expected: readonly KubeObject[], readBack: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  const byId = new Map(readBack.map((o) => [objectKey(o), o]));
  for (const object of expected) {
    const id = objectKey(object);
    const back = byId.get(id);
    if (!back) problems.push(`${id}: missing from the file`);
    else if (!isDeepStrictEqual(back, object))
      problems.push(`${id}: reads back different from what was written`);
    byId.delete(id);
  }
  for (const id of byId.keys()) problems.push(`${id}: in the file but not in the backup`);
  return problems;
}

export function defaultBackupPath(namespace: string, at: Date, dir = "ambient-migrate-backup"): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  return join(dir, `${namespace}-${stamp}.yaml`);
}

/**
 * Writes the backup next to its final path, reads it back and verifies it, then moves it into
 * place; never overwrites an existing file.
 */
export function writeVerifiedBackup(
  path: string,
  header: BackupHeader,
  objects: readonly KubeObject[],
): void {
  if (existsSync(path)) {
    throw new AmbientMigrateError(
      `backup ${path} exists already`,
      ExitCode.usage,
      "choose another --out path",
    );
  }
  const text = renderBackup(header, objects);
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.partial`;
  let fd: number;
  try {
    fd = openSync(partial, "wx");
  } catch (err) {
    throw new AmbientMigrateError(
      `cannot write backup ${path}: ${(err as Error).message}`,
      ExitCode.usage,
      "choose another --out path, or remove the leftover .partial file",
    );
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  const problems = verifyBackup(objects, readBackup(readFileSync(partial, "utf8"), partial));
  if (problems.length > 0) {
    throw new AmbientMigrateError(
      `backup ${partial} failed its read-back check; nothing was deleted`,
      ExitCode.verificationFailed,
      "this is a bug in ambient-migrate's YAML output; please report it with the objects listed",
      problems,
    );
  }
  renameSync(partial, path);
}
