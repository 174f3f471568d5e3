// Which kubeconfig and context to use, kubectl's way: --kubeconfig, then $KUBECONFIG (a list of
// files, merged), then ~/.kube/config, then the in-cluster service account. client-node's
// loadFromDefault() silently falls back to http://localhost:8080 when it finds nothing; this
// never does: no configuration is an error that names every place looked at.

import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { clusterUnreachable } from "./errors.js";

const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

type KubeconfigSource =
  | { type: "flag"; files: string[] }
  | { type: "env"; files: string[] }
  | { type: "home"; files: string[] }
  | { type: "in-cluster" };

interface SourceInputs {
  flag?: string;
  env?: string;
  home: string;
  exists: (path: string) => boolean;
  /** KUBERNETES_SERVICE_HOST is set and the service account token is mounted. */
  inCluster: boolean;
}

/** Picks where the configuration comes from; pure, so that the order is tested without files. */
export function resolveSource(inputs: SourceInputs): KubeconfigSource {
  const looked: string[] = [];
  if (inputs.flag) {
    if (!inputs.exists(inputs.flag)) {
      throw clusterUnreachable(
        `kubeconfig ${inputs.flag} (from --kubeconfig) does not exist`,
        "give the path of an existing kubeconfig file",
      );
    }
    return { type: "flag", files: [inputs.flag] };
  }
  if (inputs.env) {
    const listed = inputs.env.split(delimiter).filter(Boolean);
    const files = listed.filter((f) => inputs.exists(f));
    if (files.length > 0) return { type: "env", files };
    looked.push(`$KUBECONFIG (${listed.join(delimiter)}: no such file)`);
  }
  const home = join(inputs.home, ".kube", "config");
  if (inputs.exists(home)) return { type: "home", files: [home] };
  looked.push(home);
  if (inputs.inCluster) return { type: "in-cluster" };
  looked.push("in-cluster service account (not running in a pod)");
  throw clusterUnreachable(
    `no kubeconfig found; looked at: ${looked.join(", ")}`,
    "point at a cluster with --kubeconfig FILE or $KUBECONFIG (or read manifests instead with -f); " +
      "ambient-migrate never falls back to http://localhost:8080 the way some clients do",
  );
}

export interface LoadedKubeconfig {
  config: KubeConfig;
  source: KubeconfigSource;
  context: string;
  server: string;
  /** One line for stderr: which file and context are used. */
  description: string;
}

function describeSource(source: KubeconfigSource): string {
  switch (source.type) {
    case "flag":
      return `kubeconfig ${source.files[0]} (--kubeconfig)`;
    case "env":
      return `kubeconfig ${source.files.join(delimiter)} ($KUBECONFIG)`;
    case "home":
      return `kubeconfig ${source.files[0]}`;
    case "in-cluster":
      return "in-cluster service account";
  }
}

export function loadKubeconfig(options: { kubeconfig?: string; context?: string }): LoadedKubeconfig {
  const inputs: SourceInputs = {
    home: homedir(),
    exists: existsSync,
    inCluster: Boolean(process.env.KUBERNETES_SERVICE_HOST) && existsSync(SERVICE_ACCOUNT_TOKEN),
  };
  if (options.kubeconfig) inputs.flag = options.kubeconfig;
  if (process.env.KUBECONFIG) inputs.env = process.env.KUBECONFIG;
  const source = resolveSource(inputs);
  const config = new KubeConfig();
  const where = describeSource(source);
  try {
    if (source.type === "in-cluster") config.loadFromCluster();
    else {
      const [first, ...rest] = source.files as [string, ...string[]];
      config.loadFromFile(first);
      for (const file of rest) {
        const more = new KubeConfig();
        more.loadFromFile(file);
        config.mergeConfig(more, true);
      }
    }
  } catch (err) {
    throw clusterUnreachable(
      `cannot read ${where}: ${(err as Error).message}`,
      "check that the file is a valid kubeconfig (kubectl config view)",
    );
  }
  if (options.context) {
    if (!config.getContextObject(options.context)) {
      const known = config.getContexts().map((c) => c.name);
      throw clusterUnreachable(
        `context "${options.context}" is not in ${where}`,
        known.length > 0
          ? `contexts there: ${known.join(", ")}`
          : "that kubeconfig defines no context at all",
      );
    }
    config.setCurrentContext(options.context);
  }
  const context = config.getCurrentContext();
  if (!context || !config.getContextObject(context)) {
    throw clusterUnreachable(
      `${where} has no current context`,
      "pick one with --context NAME or kubectl config use-context NAME",
    );
  }
  const cluster = config.getCurrentCluster();
  if (!cluster?.server) {
    throw clusterUnreachable(
      `context "${context}" in ${where} names no cluster with a server address`,
      "fix the context's cluster entry (kubectl config view --minify)",
    );
  }
  return {
    config,
    source,
    context,
    server: cluster.server,
    description: `using ${where}, context "${context}" (${cluster.server})`,
  };
}

/** Every context of the kubeconfig the flags (or $KUBECONFIG, ~/.kube/config) point at, in file order. */
export function kubeconfigContexts(options: { kubeconfig?: string }): string[] {
  const names = loadKubeconfig(options)
    .config.getContexts()
    .map((c) => c.name);
  return [...new Set(names)];
}
