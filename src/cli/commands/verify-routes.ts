// `ambient-migrate verify-routes -n NS [--from POD|NAMESPACE]`: proves, from istiod's own Envoy
// configuration, that the waypoint routes every request the way the sidecars did.

import { Command } from "commander";
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

export function verifyRoutesCommand(io: IOStreams): Command {
  const note = noteTo(io);
  return new Command("verify-routes")
    .description("prove from istiod's own Envoy config that the waypoint routes requests as the sidecars did")
    .option(
      "--from <pod|namespace>",
      "the sidecar client to read the sidecar routes from (NAME, NS/NAME or a namespace)",
    )
    .option("--differences-only", "list only the requests decided differently")
    .addHelpText(
      "after",
      `
For each Service of the namespace that HTTPRoutes attach to, two route tables are read from the
proxies' /config_dump (port 15000, through the apiserver, as istioctl proxy-config does):
  sidecar   the route table a sidecar client gets for <service>:<port>, while it still holds the
            VirtualService's routes (the namespace's own sidecars, then sidecars elsewhere;
            --from picks one). After the HTTPRoutes exist, the namespace's own sidecars follow
            them, so a client in another namespace is the reference then.
  waypoint  the waypoint's inbound-vip|<port>|http|<fqdn> routes, without the routes of the
            VirtualServices step 5 deletes.
A request set is built from every match condition on both sides (path boundaries, regex
witnesses, headers present/absent/mismatching, query parameters, methods), each table is
evaluated with Envoy's first-match rules, and each pair of decisions is compared by effect:
the pods behind each destination and its weight, the rewritten path and host, header changes,
redirects, direct responses, timeouts, retries and mirrors.

Exit codes: 0 every request is decided the same; 9 a request differs, or a table could not be
read (the reason is printed). The usual way to look before deleting anything:
  ambient-migrate migrate -n NS --to-step 1 && ambient-migrate verify-routes -n NS`,
    )
    .action(async (flags: Flags, command: Command) => {
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
    });
}
