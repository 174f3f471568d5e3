// Issue 15's real-world corpus (test/corpus/sources.ts: Istio's samples and analyzer test inputs,
// istiod's Gateway API test inputs, Gateway API's examples, Argo Rollouts' Istio manifests, 417
// files read from the Go module proxy): assess, plan and translate each file in-process, as the
// CLI would, and never exit 1 (an internal error); then every object translate makes from them
// passes a server-side dry run on the testbed (the real CRDs, CEL rules and istiod's webhook).

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { run } from "../../src/cli/main.js";
import { type CorpusFile, corpusFiles } from "../corpus/sources.js";
import { createNamespace, deleteNamespaces, kubectl } from "./harness.js";

// biome-ignore lint/suspicious/noExplicitAny: objects as kubectl reads them
type Json = any;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function inProcess(args: string[]): Promise<Outcome> {
  let stdout = "";
  let stderr = "";
  const io = { out: { write: (t: string) => (stdout += t) }, err: { write: (t: string) => (stderr += t) } };
  try {
    return { code: await run(args, io), stdout, stderr };
  } finally {
    process.exitCode = undefined;
  }
}

const firstLines = (text: string) => text.trim().split("\n").slice(0, 3).join(" | ");

/** A file's app: its module and the first two folders of its path (samples/bookinfo, examples/istio). */
const appOf = (file: CorpusFile) => {
  const [module = "", ...path] = file.source.split("@");
  return `${module}@${path.join("@").split("/").slice(1, 3).join("/")}`;
};

describe("the real-world corpus", () => {
  let files: CorpusFile[] = [];
  const translated = new Map<string, string>();

  beforeAll(() => {
    files = corpusFiles();
  });
  afterAll(deleteNamespaces);

  it("assess, plan and translate never exit 1 on any file of it, alone or with its app", async () => {
    expect(files.length).toBeGreaterThan(400);
    const crashes: string[] = [];
    const codes = new Map<string, number>();
    const count = (key: string) => codes.set(key, (codes.get(key) ?? 0) + 1);
    const readable = new Set<CorpusFile>();
    for (const file of files) {
      for (const command of ["assess", "plan", "translate"]) {
        const r = await inProcess([command, "-f", file.path]);
        count(`${command} ${r.code}`);
        if (r.code === 1) crashes.push(`${command} ${file.source}: ${firstLines(r.stderr)}`);
        if (command === "assess" && r.code !== 4) readable.add(file);
      }
    }
    // A route file alone names Services it does not define: translate it with the files of the
    // same app (same module folder) that define Services, as a GitOps folder would hold them.
    const apps = new Map<string, CorpusFile[]>();
    for (const file of readable)
      if (/^kind: Service\s*$/m.test(readFileSync(file.path, "utf8")))
        apps.set(appOf(file), [...(apps.get(appOf(file)) ?? []), file]);
    for (const file of readable) {
      const context = (apps.get(appOf(file)) ?? []).filter((f) => f !== file).flatMap((f) => ["-f", f.path]);
      const r = await inProcess(["translate", "-f", file.path, ...context, "-o", "yaml"]);
      count(`translate with its app ${r.code}`);
      if (r.code === 1) crashes.push(`translate ${file.source} with its app: ${firstLines(r.stderr)}`);
      else if (r.stdout.trim()) translated.set(file.source, r.stdout);
    }
    // What the corpus exercised, for the log: exit codes per command (the README's exit codes).
    console.log(`corpus: ${files.length} files; ${[...codes].map(([k, n]) => `${k}: ${n}`).join(", ")}`);
    expect(crashes).toEqual([]);
    // Not vacuous: most files are read, and many translate into something.
    expect(readable.size).toBeGreaterThan(files.length * 0.9);
    expect(translated.size).toBeGreaterThan(60);
  });

  it("every object translate makes from it passes a server-side dry run", async () => {
    expect(translated.size).toBeGreaterThan(60);
    const ns = await createNamespace("corpus");
    // Into one test namespace (a dry run checks each object, not the namespaces it came from),
    // each distinct object once, in batches where no two objects share a name (a batch is one
    // kubectl call; the same name from two files would otherwise be one object applied twice).
    const distinct = new Map<string, { source: string; object: Json }>();
    for (const [source, yaml] of translated) {
      for (const doc of parseAllDocuments(yaml)) {
        const object = doc.toJS() as Json;
        if (!object || typeof object !== "object") continue;
        object.metadata.namespace = ns;
        const key = JSON.stringify(object);
        if (!distinct.has(key)) distinct.set(key, { source, object });
      }
    }
    const batches: { source: string; object: Json }[][] = [];
    const seen = new Map<string, number>();
    for (const entry of distinct.values()) {
      const id = `${entry.object.apiVersion}/${entry.object.kind}/${entry.object.metadata.name}`;
      const i = seen.get(id) ?? 0;
      seen.set(id, i + 1);
      const batch = batches[i] ?? [];
      batches[i] = batch;
      batch.push(entry);
    }
    const refused: string[] = [];
    for (const batch of batches) {
      const r = await kubectl(["apply", "--dry-run=server", "--server-side", "-n", ns, "-f", "-"], {
        input: batch.map((e) => stringify(e.object)).join("---\n"),
        allowFail: true,
      });
      if (r.code === 0) {
        expect(r.stdout.trim().split("\n")).toHaveLength(batch.length);
        continue;
      }
      for (const line of r.stderr.trim().split("\n")) {
        const named = batch.find((e) => line.includes(`"${e.object.metadata.name}"`));
        refused.push(`${named ? `${named.source}: ` : ""}${line}`);
      }
    }
    console.log(
      `corpus: ${distinct.size} distinct translated object(s) from ${translated.size} file(s), ${batches.length} server-side dry run(s)`,
    );
    expect(refused).toEqual([]);
  });
});
