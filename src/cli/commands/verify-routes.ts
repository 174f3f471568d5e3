// `ambient-migrate verify-routes -n NS [--from POD|NAMESPACE]`: proves, from istiod's own Envoy
// configuration, that the waypoint routes every request the way the sidecars did.

import { Command } from "commander";
import type { IOStreams } from "../streams.js";
import { lazyAction } from "./lazy.js";

export function verifyRoutesCommand(io: IOStreams): Command {
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
    .action(lazyAction(io, () => import("../actions/verify-routes.js")));
}
