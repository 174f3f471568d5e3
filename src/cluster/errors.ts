// Turns what goes wrong talking to a cluster into AmbientMigrateErrors with distinct exit codes
// and a hint that names what to do: unreachable (6), refused by RBAC (7), missing Istio /
// Gateway API / ztunnel (8). One place, so that every command says it the same way.

import { AmbientMigrateError, ExitCode, type ExitCodeValue } from "../errors.js";
import type { KindInfo } from "../inventory/kinds.js";

const RBAC_FILE = "deploy/rbac/ambient-migrate.yaml";

/** What a request was, in RBAC's words: the verb, resource and scope it needs. */
export interface RequestDescription {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** A request the apiserver answered with an error status; callers may inspect status/reason. */
export class ClusterRequestError extends AmbientMigrateError {
  constructor(
    message: string,
    exitCode: ExitCodeValue,
    hint: string | undefined,
    details: readonly string[],
    readonly status: number,
    readonly reason: string | undefined,
  ) {
    super(message, exitCode, hint, details);
  }
}

export function isStatus(err: unknown, status: number): err is ClusterRequestError {
  return err instanceof ClusterRequestError && err.status === status;
}

function resourceName(req: Pick<RequestDescription, "group" | "resource" | "subresource">): string {
  const base = req.group ? `${req.resource}.${req.group}` : req.resource;
  return req.subresource ? `${base}/${req.subresource}` : base;
}

function scopeOf(req: Pick<RequestDescription, "namespace">): string {
  return req.namespace ? `in namespace ${req.namespace}` : "(cluster scope)";
}

interface StatusBody {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
}

function parseStatus(body: string): StatusBody | undefined {
  try {
    const parsed = JSON.parse(body) as StatusBody;
    return parsed && typeof parsed === "object" ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The authorizer's words ("User \"x\" cannot create resource \"pods\" ..."), not admission's. */
function rbacDenial(message: string): boolean {
  return /\bcannot [a-z]+ resource\b/.test(message);
}

/** An answer the apiserver wrote itself (a Status), not one it relayed from a pod or a proxy. */
export function isApiserverStatus(body: string): boolean {
  return parseStatus(body)?.kind === "Status";
}

/** Admission refused the request (quota, PodSecurity, a policy webhook): RBAC allowed it. */
export function refusedByAdmission(err: unknown): err is ClusterRequestError {
  return isStatus(err, 403) && err.message.includes("refused by the apiserver's admission");
}

/** An error answer from the apiserver (status >= 400) for the request described. */
export function httpError(status: number, body: string, req: RequestDescription): ClusterRequestError {
  const statusBody = parseStatus(body);
  const serverMessage = statusBody?.message ?? body.trim().slice(0, 500);
  const reason = statusBody?.reason;
  const what = `${req.verb} ${resourceName(req)}${req.name ? ` "${req.name}"` : ""} ${scopeOf(req)}`;
  const details = serverMessage ? [`apiserver: ${serverMessage}`] : [];
  if (status === 401) {
    return new ClusterRequestError(
      `the cluster rejected the credentials (401 Unauthorized) on ${what}`,
      ExitCode.forbidden,
      "the cluster does not accept the kubeconfig's credentials: refresh the token or certificate (e.g. log in again), or pick another --context",
      details,
      status,
      reason,
    );
  }
  if (status === 403 && statusBody && !rbacDenial(serverMessage)) {
    // Admission (a quota, PodSecurity, a policy webhook) refused it: RBAC allowed the request.
    return new ClusterRequestError(
      `${what} refused by the apiserver's admission: ${serverMessage}`,
      ExitCode.forbidden,
      "the message names what refused it (a ResourceQuota, the namespace's PodSecurity level, a policy webhook): change that, then run again",
      [],
      status,
      reason,
    );
  }
  if (status === 403) {
    return new ClusterRequestError(
      `forbidden: cannot ${req.verb} ${resourceName(req)} ${scopeOf(req)}`,
      ExitCode.forbidden,
      `add verb "${req.verb}" on resource "${req.subresource ? `${req.resource}/${req.subresource}` : req.resource}" ` +
        `(apiGroup "${req.group}") to the ClusterRole in ${RBAC_FILE} and apply it, or run as a user that may`,
      details,
      status,
      reason,
    );
  }
  const exitCode: ExitCodeValue =
    status === 404
      ? ExitCode.notFound
      : status === 409
        ? ExitCode.conflict
        : status === 422 || status === 400
          ? ExitCode.invalidInput
          : status >= 500 || status === 429
            ? ExitCode.clusterUnreachable
            : ExitCode.internal;
  const hint =
    status === 404
      ? undefined
      : status === 409
        ? "the object changed or exists already; re-run to read its current state"
        : status >= 500 || status === 429
          ? "the apiserver is overloaded or failing; retry later"
          : undefined;
  return new ClusterRequestError(
    `${what} failed: ${status}${reason ? ` ${reason}` : ""}${serverMessage ? `: ${serverMessage}` : ""}`,
    exitCode,
    hint,
    [],
    status,
    reason,
  );
}

/** Network-level failures: connection refused, DNS, TLS, timeouts. */
export function networkError(err: unknown, target: { context: string; server: string }): AmbientMigrateError {
  const code = errorCode(err);
  const text = describeCause(err);
  const tls = /CERT|SSL|TLS|self[- ]signed|certificate/i.test(`${code} ${text}`);
  const timeout = /TIMEOUT|TimeoutError|ETIMEDOUT|aborted due to timeout/i.test(`${code} ${text}`);
  const hint = tls
    ? "the server's certificate does not match the kubeconfig's certificate-authority; check the cluster entry of the context"
    : timeout
      ? "the apiserver did not answer in time: check the network path (VPN, proxy) and that the cluster is up"
      : "check that the cluster is up and that the context points at it: kubectl --context " +
        `${target.context} cluster-info`;
  return new AmbientMigrateError(
    `cannot reach the cluster of context "${target.context}" at ${target.server}: ${text}`,
    ExitCode.clusterUnreachable,
    hint,
  );
}

function errorCode(err: unknown): string {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return "";
}

/** The innermost useful message ("fetch failed" hides the real cause). */
function describeCause(err: unknown): string {
  const messages: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    const message = (current as { message?: unknown }).message;
    const code = (current as { code?: unknown }).code;
    if (typeof message === "string" && message && message !== "fetch failed") {
      messages.push(typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message);
    }
    current = (current as { cause?: unknown }).cause;
  }
  return messages.at(-1) ?? String(err);
}

// ERR_HTTP2_*: the connection under a stream failed or went away (GOAWAY), not a malformed request.
const NETWORK_CODES =
  /^(E[A-Z]+|UND_ERR\w*|CERT_\w+|ERR_TLS\w*|ERR_SSL\w*|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_\w+|ERR_HTTP2_(ERROR|STREAM_ERROR|STREAM_CANCEL|SESSION_ERROR|GOAWAY_SESSION|INVALID_SESSION|SOCKET_UNBOUND))$/;

export function isNetworkError(err: unknown): boolean {
  if (err instanceof AmbientMigrateError) return false;
  if (NETWORK_CODES.test(errorCode(err))) return true;
  return err instanceof Error && (err.name === "TimeoutError" || err.message === "fetch failed");
}

export function clusterUnreachable(message: string, hint: string): AmbientMigrateError {
  return new AmbientMigrateError(message, ExitCode.clusterUnreachable, hint);
}

const INSTALL_HINTS: Record<string, string> = {
  istio:
    "install Istio (its CRDs come with the base chart): istioctl install --set profile=ambient, or helm install istio-base istio/base -n istio-system",
  gateway:
    "install the Gateway API CRDs: kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.0/standard-install.yaml " +
    "(experimental-install.yaml adds TCPRoute and TLSRoute)",
};

function familyOf(group: string): "istio" | "gateway" | undefined {
  if (group.endsWith("istio.io")) return "istio";
  if (group === "gateway.networking.k8s.io") return "gateway";
  return undefined;
}

/** The CRDs the migration cannot work without are absent. */
export function crdsMissing(missing: readonly KindInfo[]): AmbientMigrateError {
  const families = [...new Set(missing.map((k) => familyOf(k.group)).filter((f) => f !== undefined))];
  return new AmbientMigrateError(
    `the cluster lacks CRDs the migration needs: ${missing.map((k) => resourceName({ group: k.group, resource: k.plural })).join(", ")}`,
    ExitCode.prerequisiteMissing,
    families.map((f) => INSTALL_HINTS[f]).join("; ") || "install the missing CRDs",
  );
}

export function prerequisiteMissing(message: string, hint: string): AmbientMigrateError {
  return new AmbientMigrateError(message, ExitCode.prerequisiteMissing, hint);
}

/** Someone else changed what the run works on: it stops rather than overwrite (exit 10). */
export function concurrentEdit(
  message: string,
  hint: string,
  details: readonly string[] = [],
): AmbientMigrateError {
  return new AmbientMigrateError(message, ExitCode.conflict, hint, details);
}
