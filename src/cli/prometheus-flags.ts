// How to reach Prometheus from the command line, wherever --prometheus URL is taken (assess,
// plan, migrate, observability --verify): TLS and a bearer token, named as in the analysis
// file's `prometheus:` block. Basic auth: https://user:password@host in the URL.

import type { Command } from "commander";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import type { PrometheusConnection, PrometheusTls } from "../prometheus/client.js";

export interface PrometheusFlags {
  prometheus?: string;
  prometheusCaFile?: string;
  prometheusCertFile?: string;
  prometheusKeyFile?: string;
  prometheusServerName?: string;
  prometheusInsecureSkipVerify?: boolean;
  prometheusTokenFile?: string;
}

export function addPrometheusFlags(command: Command): Command {
  return command
    .option("--prometheus-ca-file <file>", "PEM CA that signed Prometheus's certificate (https)")
    .option(
      "--prometheus-cert-file <file>",
      "PEM client certificate for Prometheus (with --prometheus-key-file)",
    )
    .option("--prometheus-key-file <file>", "PEM key of --prometheus-cert-file")
    .option("--prometheus-server-name <name>", "the name to expect in Prometheus's certificate")
    .option("--prometheus-insecure-skip-verify", "do not verify Prometheus's certificate (test setups only)")
    .option(
      "--prometheus-token-file <file>",
      "bearer token for Prometheus, read at every query (basic auth: https://user:password@host)",
    );
}

function tlsOf(flags: PrometheusFlags): PrometheusTls {
  return {
    ...(flags.prometheusCaFile ? { caFile: flags.prometheusCaFile } : {}),
    ...(flags.prometheusCertFile ? { certFile: flags.prometheusCertFile } : {}),
    ...(flags.prometheusKeyFile ? { keyFile: flags.prometheusKeyFile } : {}),
    ...(flags.prometheusServerName ? { serverName: flags.prometheusServerName } : {}),
    ...(flags.prometheusInsecureSkipVerify ? { insecureSkipVerify: true } : {}),
  };
}

/** True when any --prometheus-* connection flag is given. */
function anyConnectionFlag(flags: PrometheusFlags): boolean {
  return Object.keys(tlsOf(flags)).length > 0 || flags.prometheusTokenFile !== undefined;
}

/**
 * The connection the flags describe, over `base` (an analysis file's block) when given: a flag
 * wins over the file's setting of the same name. Undefined without an address.
 */
export function prometheusConnection(
  flags: PrometheusFlags,
  base?: PrometheusConnection,
): PrometheusConnection | undefined {
  const address = flags.prometheus ?? base?.address;
  if (!address) {
    if (anyConnectionFlag(flags))
      throw new AmbientMigrateError("--prometheus-* flags go with --prometheus URL", ExitCode.usage);
    return undefined;
  }
  const tls = { ...base?.tls, ...tlsOf(flags) };
  const { bearerToken, bearerTokenFile, ...rest } = base ?? { address };
  return {
    ...rest,
    address,
    ...(flags.prometheusTokenFile
      ? { bearerTokenFile: flags.prometheusTokenFile }
      : {
          ...(bearerToken ? { bearerToken } : {}),
          ...(bearerTokenFile ? { bearerTokenFile } : {}),
        }),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
  };
}
