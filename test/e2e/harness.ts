// Helpers for end-to-end tests: real kubectl and istioctl against the testbed (or the cluster
// in AMBIENT_E2E_KUBECONFIG), namespaces of their own per test, and the real CLI as a process.

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { inject } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";

const run = promisify(execFile);
const repo = new URL("../..", import.meta.url).pathname;

let kubeconfigOfFile: string | undefined;

/** Points this test file's kubectl, istioctl and CLI runs at another cluster (the fault testbed). */
export function useKubeconfig(path: string): void {
  kubeconfigOfFile = path;
}

export function kubeconfigPath(): string {
  return kubeconfigOfFile ?? inject("kubeconfig");
}

function env(): NodeJS.ProcessEnv {
  const bin = inject("binDir");
  return {
    ...process.env,
    KUBECONFIG: kubeconfigPath(),
    PATH: bin ? `${bin}:${process.env.PATH}` : process.env.PATH,
  };
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function exec(cmd: string, args: readonly string[], input?: string): Promise<Result> {
  const child = run(cmd, [...args], { env: env(), maxBuffer: 64 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof e.code === "number" ? e.code : 1,
      stdout: e.stdout ?? "",
      stderr: e.stderr ?? String(err),
    };
  }
}

/** Runs real kubectl; throws with its stderr unless `allowFail`. */
export async function kubectl(
  args: readonly string[],
  opts: { input?: string; allowFail?: boolean } = {},
): Promise<Result> {
  const r = await exec("kubectl", args, opts.input);
  if (r.code !== 0 && !opts.allowFail)
    throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r;
}

export async function kubectlJson<T = unknown>(args: readonly string[]): Promise<T> {
  return JSON.parse((await kubectl([...args, "-o", "json"])).stdout) as T;
}

/** Runs real istioctl; throws with its stderr unless `allowFail`. */
export async function istioctl(args: readonly string[], opts: { allowFail?: boolean } = {}): Promise<Result> {
  const r = await exec("istioctl", args);
  if (r.code !== 0 && !opts.allowFail)
    throw new Error(`istioctl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r;
}

/** Runs the built ambient-migrate CLI as a separate process, as a user would. */
export async function cli(args: readonly string[], input?: string): Promise<Result> {
  return exec(process.execPath, [join(repo, "bin/ambient-migrate.js"), ...args], input);
}

/** A fresh namespace with the given labels; deleted by `deleteNamespaces` (call it in afterAll). */
export async function createNamespace(prefix: string, labels: Record<string, string> = {}): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  await kubectl(["create", "namespace", name]);
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  if (pairs.length > 0) await kubectl(["label", "namespace", name, ...pairs]);
  created.push(name);
  return name;
}

const created: string[] = [];

export async function deleteNamespaces(): Promise<void> {
  const names = created.splice(0);
  if (names.length > 0) await kubectl(["delete", "namespace", ...names, "--wait=false"], { allowFail: true });
}

export async function apply(yaml: string, namespace?: string): Promise<void> {
  await kubectl([...(namespace ? ["-n", namespace] : []), "apply", "--server-side", "-f", "-"], {
    input: yaml,
  });
}

export const repoRoot = repo;
export const fixtures = new URL("../../../shared/fixtures/istio-upstream/", import.meta.url).pathname;

/** Waits until istiod reports the namespace's waypoint Gateway Programmed. */
export async function waitForWaypoint(namespace: string, name = "waypoint"): Promise<void> {
  await kubectl([
    "wait",
    "-n",
    namespace,
    `gateways.gateway.networking.k8s.io/${name}`,
    "--for=condition=Programmed=True",
    "--timeout=180s",
  ]);
}

/**
 * A mesh client Deployment (app=client) to apply in a namespace of its own with injection: its
 * sidecar keeps the VirtualServices' routes (converted HTTPRoutes of other namespaces come after).
 */
export const sidecarClient = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: client}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec: {containers: [{name: client, image: curlimages/curl}]}
`;

/** Bookinfo's manifests for one app (its Service, ServiceAccount and Deployments), from Istio's sample. */
export function bookinfoApp(app: string): string {
  const bookinfo = readFileSync(`${fixtures}/bookinfo/platform/bookinfo.yaml`, "utf8");
  const name = new RegExp(`name: (bookinfo-)?${app}\\b`);
  const label = new RegExp(`app: ${app}\\b`);
  return bookinfo
    .split(/^---$/m)
    .filter((doc) => name.test(doc) || label.test(doc))
    .join("\n---\n");
}

/** A namespace with one Bookinfo app rolled out with its sidecar (deleted by deleteNamespaces). */
export async function appNamespace(prefix: string, app: string): Promise<string> {
  const ns = await createNamespace(prefix, { "istio-injection": "enabled" });
  await apply(bookinfoApp(app), ns);
  await kubectl(["-n", ns, "rollout", "status", `deployment/${app}-v1`, "--timeout=120s"]);
  return ns;
}

/**
 * The three namespaces of a two-wave migration: productpage's and reviews' namespaces call
 * ratings', which admits them by identity (an L4 policy: no waypoint), so they go first.
 */
export async function twoWaveNamespaces(prefix: string): Promise<[string, string, string]> {
  const x = await appNamespace(`${prefix}-x`, "productpage");
  const y = await appNamespace(`${prefix}-y`, "reviews");
  const z = await appNamespace(`${prefix}-z`, "ratings");
  await apply(
    `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: callers}
spec:
  selector: {matchLabels: {app: ratings}}
  rules: [{from: [{source: {principals: ["cluster.local/ns/${x}/sa/bookinfo-productpage", "cluster.local/ns/${y}/sa/bookinfo-reviews"]}}]}]
`,
    z,
  );
  return [x, y, z];
}

/** An app whose pods are annotated for Prometheus (observability generates its PodMonitor, shop-metrics). */
export const appWithMetrics = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: shop}}
  template:
    metadata:
      labels: {app: shop, version: v1}
      annotations: {prometheus.io/scrape: "true", prometheus.io/port: "9090", prometheus.io/path: /stats}
    spec:
      containers:
        - name: shop
          image: registry.example/shop:1
          ports: [{name: http-metrics, containerPort: 9090}]
`;

/**
 * A kubeconfig that authenticates as a ServiceAccount (token from `kubectl create token`)
 * against the same API server, for running the tool under an RBAC role.
 */
export async function kubeconfigForServiceAccount(
  serviceAccount: string,
  namespace = "istio-system",
): Promise<string> {
  const token = (await kubectl(["-n", namespace, "create", "token", serviceAccount])).stdout.trim();
  const admin = parseYaml(readFileSync(kubeconfigPath(), "utf8")) as { clusters: { name: string }[] };
  const cluster = admin.clusters[0]!;
  const file = join(mkdtempSync(join(tmpdir(), "am-e2e-sa-")), `kubeconfig-${serviceAccount}`);
  writeFileSync(
    file,
    stringifyYaml({
      apiVersion: "v1",
      kind: "Config",
      clusters: [cluster],
      users: [{ name: serviceAccount, user: { token } }],
      contexts: [{ name: serviceAccount, context: { cluster: cluster.name, user: serviceAccount } }],
      "current-context": serviceAccount,
    }),
  );
  return file;
}
