// What `ambient-migrate verify-routes` does (its flags and help: commands/verify-routes.ts).

import type { Command } from "commander";
import { AmbientMigrateError, ExitCode } from "../../errors.js";
import { clusterDumpReader, type ServiceVerdict, verifyRoutes } from "../../verify-routes/verify.js";
import { clusterPortFor } from "../cluster-loader.js";
import { globalOptions, loadMesh } from "../context.js";
import { structured, table } from "../output.js";
import { type IOStreams, noteTo } from "../streams.js";

interface Flags {
  from?: string;
  differencesOnly?: boolean;
}

function rows(services: readonly ServiceVerdict[], differencesOnly: boolean): string[][] {
  const out: string[][] = [];
  for (const s of services) {
    const svc = `${s.name}:${s.port}`;
    if (s.result === "unverified") out.push([svc, "-", "-", "-", `UNVERIFIED: ${s.problems.join("; ")}`]);
    for (const r of s.requests) {
      if (differencesOnly && r.differs.length === 0) continue;
      out.push([
        svc,
        r.request,
        `${r.sidecar} [${r.sidecarRoute}]`,
        `${r.waypoint} [${r.waypointRoute}]`,
        r.differs.length === 0 ? "same" : `DIFFERENT: ${r.differs.join(", ")}`,
      ]);
    }
  }
  return out;
}

export async function action(io: IOStreams, flags: Flags, command: Command): Promise<void> {
  const note = noteTo(io);
  const options = globalOptions(command);
  if (options.namespace.length !== 1 || options.filename.length > 0)
    throw new AmbientMigrateError(
      "verify-routes reads one namespace of a live cluster",
      ExitCode.usage,
      "ambient-migrate verify-routes -n NS [--from POD|NAMESPACE]",
    );
  const loaded = await loadMesh(options, note);
  note(loaded.summary);
  const namespace = loaded.namespaces[0] as string;
  const port = await clusterPortFor(options, note);
  const report = await verifyRoutes(loaded.inventory, namespace, clusterDumpReader(port), {
    ...(flags.from ? { from: flags.from } : {}),
  });
  if (options.output === "table") {
    io.out.write(
      table(
        ["service", "request", "sidecar", "waypoint", "result"],
        rows(report.services, flags.differencesOnly === true),
      ),
    );
  } else io.out.write(structured(report, options.output));
  const unverified = report.services.filter((s) => s.result === "unverified").length;
  note(
    report.services.length === 0
      ? `no HTTPRoute in ${namespace} attaches to a Service: nothing to verify`
      : `${report.services.length} service port(s), ${report.requests} request(s): ${report.differences} decided differently` +
          (unverified > 0 ? `, ${unverified} service port(s) unverified` : ""),
  );
  if (!report.passed) process.exitCode = ExitCode.verificationFailed;
}
