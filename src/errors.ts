// Every failure the user can act on is an AmbientMigrateError with a distinct exit code and a
// hint that says what to do. One top-level catch (cli/main.ts) turns them into exit codes.

export const ExitCode = {
  ok: 0,
  /** A bug: anything that is not an AmbientMigrateError. */
  internal: 1,
  /** Wrong flags or arguments. */
  usage: 2,
  /** `assess` found at least one blocker (or `plan` was asked to fail on blocked namespaces). */
  blockersFound: 3,
  /** Input that is not readable: malformed YAML/JSON, a document that is not a Kubernetes object. */
  invalidInput: 4,
  /** Something named on the command line does not exist (a namespace given with -n). */
  notFound: 5,
  /** No cluster could be reached: no kubeconfig, unknown context, connection refused. */
  clusterUnreachable: 6,
  /** The cluster refused a request: a missing RBAC permission. */
  forbidden: 7,
  /** The cluster lacks what the migration needs: Istio, Gateway API CRDs, ztunnel. */
  prerequisiteMissing: 8,
  /** A step's verification did not pass; the journal says where the run stopped. */
  verificationFailed: 9,
  /** Another run holds the namespace's lock, or someone else changed what the run changes. */
  conflict: 10,
  /** Prometheus (--prometheus) could not be reached or refused a query. */
  prometheusUnavailable: 11,
  /** Interrupted by a signal; the journal lets the next run resume. */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class AmbientMigrateError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    /** What the user should do about it. */
    readonly hint?: string,
    /** Individual problems, e.g. one per malformed document. */
    readonly details: readonly string[] = [],
  ) {
    super(message);
    this.name = "AmbientMigrateError";
  }
}
