// What `ambient-migrate translate` does (its flags and help: commands/translate.ts).

import type { Command } from "commander";
import { ExitCode } from "../../errors.js";
import { describeRef, refOf } from "../../inventory/identity.js";
import type { KubeObject } from "../../inventory/model.js";
import { type OutputFile, safeFileName, writeFilesInto, writeOutputFile } from "../../output-files.js";
import { toJson, toYaml } from "../../serialize.js";
import { hasErrors, type ReportEntry, translate } from "../../translate/index.js";
import { globalOptions, loadMesh } from "../context.js";
import { tableLines, writeAll } from "../output.js";
import { planOptionsOf } from "../plan-flags.js";
import { type IOStreams, noteTo } from "../streams.js";

interface TranslateFlags {
  outputDir?: string;
  overwrite?: boolean;
  report?: string;
}

export async function action(io: IOStreams, flags: TranslateFlags, command: Command): Promise<void> {
  const note = noteTo(io);
  const global = globalOptions(command);
  const loaded = await loadMesh(global, note);
  note(loaded.summary);
  const result = translate(loaded.inventory, loaded.namespaces, planOptionsOf(flags));
  const render = (objects: KubeObject[]) =>
    global.output === "json"
      ? toJson({ apiVersion: "v1", kind: "List", items: objects })
      : objects.map(toYaml).join("---\n");
  if (flags.outputDir) {
    const files = writeFilesInto(
      flags.outputDir,
      [
        ...perNamespace("", result.objects, render),
        ...perNamespace(".after-restart", result.afterRestart, render),
      ],
      { overwrite: flags.overwrite === true, flag: "--output-dir" },
    );
    note(`wrote ${files.length} file(s) to ${flags.outputDir}: ${files.join(", ")}`);
  } else {
    // Written object by object: tens of thousands of objects are never one string.
    if (global.output === "json") io.out.write(render(result.objects));
    else writeAll(io.out, yamlDocuments(result.objects));
    if (result.afterRestart.length > 0) {
      note(
        `${result.afterRestart.length} bypass DENY polic(ies) are not printed: they must be applied after step 4; use --output-dir to get them`,
      );
    }
  }
  if (flags.report) {
    const data = { replaces: result.replaces.map((o) => describeRef(refOf(o))), report: result.report };
    writeOutputFile(flags.report, flags.report.endsWith(".json") ? toJson(data) : toYaml(data), "--report");
    note(`report written to ${flags.report}`);
  } else if (result.report.length > 0) {
    writeAll(io.err, reportTable(result.report));
  }
  note(summary(result.report, result.objects.length + result.afterRestart.length));
  if (hasErrors(result.report)) process.exitCode = ExitCode.blockersFound;
}

/** One file per namespace; a namespace that could name another directory is refused. */
function perNamespace(
  suffix: string,
  objects: KubeObject[],
  render: (o: KubeObject[]) => string,
): OutputFile[] {
  const byNamespace = new Map<string, KubeObject[]>();
  for (const o of objects) {
    const ns = o.metadata.namespace ?? "_cluster";
    const list = byNamespace.get(ns);
    if (list) list.push(o);
    else byNamespace.set(ns, [o]);
  }
  return [...byNamespace].map(([ns, list]) => ({
    name: `${safeFileName(ns, "namespace")}${suffix}.yaml`,
    text: render(list),
  }));
}

function* yamlDocuments(objects: readonly KubeObject[]): Generator<string> {
  for (const [i, object] of objects.entries()) yield `${i === 0 ? "" : "---\n"}${toYaml(object)}`;
}

function reportTable(report: readonly ReportEntry[]): Iterable<string> {
  return tableLines(
    ["level", "source", "field", "message"],
    report.map((e) => [
      e.level,
      `${e.source.kind}/${e.source.namespace}/${e.source.name}`,
      e.field,
      e.message,
    ]),
  );
}

function summary(report: readonly ReportEntry[], objects: number): string {
  const count = (level: string) => report.filter((e) => e.level === level).length;
  return `${objects} object(s); report: ${count("error")} error(s), ${count("warning")} warning(s), ${count("info")} info`;
}
