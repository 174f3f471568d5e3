// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics
// (k8s.io/client-go/tools/leaderelection): a candidate takes the Lease when it is absent, released
// (no holder) or not renewed for leaseDurationSeconds as observed on this replica's own clock (no
// trust in other clocks); every write carries the resourceVersion read, so two candidates never
// both win; the leader renews every retry period and, when it cannot renew within the renew
// deadline (shorter than the lease), stops its work before anyone else may take the Lease.
// On a clean shutdown the leader releases the Lease (no holder) so that another takes it at once.

import { setTimeout as sleep } from "node:timers/promises";
import { isStatus } from "../cluster/errors.js";
import type { ClusterPort } from "../cluster/port.js";
import { MANAGED_BY, MANAGED_BY_LABEL } from "../ownership.js";
import { microTime } from "../run/lock.js";

interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: string;
  renewTime: string;
  leaseTransitions: number;
}

interface StoredLease {
  record: LeaseRecord;
  resourceVersion: string;
}

/** Where the Lease lives; update() fails (409) when the resourceVersion is no longer current. */
export interface LeaseStore {
  get(): Promise<StoredLease | undefined>;
  create(record: LeaseRecord): Promise<void>;
  update(record: LeaseRecord, resourceVersion: string): Promise<void>;
}

/** What this replica last saw of the Lease, and when (its own clock). */
export interface Observation {
  record: LeaseRecord;
  at: number;
}

type Attempt =
  | { op: "create"; record: LeaseRecord }
  | { op: "update"; record: LeaseRecord; resourceVersion: string }
  | { op: "wait"; holder: string };

/**
 * client-go's tryAcquireOrRenew, pure: what to write given the Lease as read now. The expiry
 * counts from when this replica saw the record change, not from the renewTime written in it.
 */
export function nextAttempt(
  current: StoredLease | undefined,
  observed: Observation | undefined,
  identity: string,
  leaseDurationSeconds: number,
  now: number,
): { attempt: Attempt; observed?: Observation } {
  const time = microTime(new Date(now));
  if (!current) {
    const record = {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: time,
      renewTime: time,
      leaseTransitions: 0,
    };
    return { attempt: { op: "create", record } };
  }
  const seen =
    observed && JSON.stringify(observed.record) === JSON.stringify(current.record)
      ? observed
      : { record: current.record, at: now };
  const old = current.record;
  const held = old.holderIdentity !== "" && old.holderIdentity !== identity;
  if (held && seen.at + old.leaseDurationSeconds * 1000 > now)
    return { attempt: { op: "wait", holder: old.holderIdentity }, observed: seen };
  const mine = old.holderIdentity === identity;
  const record: LeaseRecord = {
    holderIdentity: identity,
    leaseDurationSeconds,
    acquireTime: mine ? old.acquireTime : time,
    renewTime: time,
    leaseTransitions: mine ? old.leaseTransitions : old.leaseTransitions + 1,
  };
  return { attempt: { op: "update", record, resourceVersion: current.resourceVersion }, observed: seen };
}

export interface ElectionOptions {
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  store: LeaseStore;
  log: (line: string) => void;
  now?: () => number;
}

export class LeaderElector {
  private observed: Observation | undefined;
  private readonly now: () => number;

  constructor(private readonly options: ElectionOptions) {
    if (options.renewDeadlineMs >= options.leaseDurationMs)
      throw new Error("the renew deadline must be shorter than the lease duration");
    if (options.retryPeriodMs >= options.renewDeadlineMs)
      throw new Error("the retry period must be shorter than the renew deadline");
    this.now = options.now ?? Date.now;
  }

  /** One try; true when this replica holds the Lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const { store, identity } = this.options;
    const seconds = Math.max(1, Math.round(this.options.leaseDurationMs / 1000));
    const { attempt, observed } = nextAttempt(
      await store.get(),
      this.observed,
      identity,
      seconds,
      this.now(),
    );
    if (observed) this.observed = observed;
    if (attempt.op === "wait") return false;
    try {
      if (attempt.op === "create") await store.create(attempt.record);
      else await store.update(attempt.record, attempt.resourceVersion);
    } catch (err) {
      // Another candidate wrote first (AlreadyExists or a stale resourceVersion): not ours.
      if (isStatus(err, 409)) return false;
      throw err;
    }
    this.observed = { record: attempt.record, at: this.now() };
    return true;
  }

  /** A try bounded in time: a hung request counts as a failed one. */
  private async attempt(timeoutMs: number): Promise<boolean> {
    const timeout = AbortSignal.timeout(Math.max(1, timeoutMs));
    const timedOut = new Promise<boolean>((resolve) =>
      timeout.addEventListener("abort", () => resolve(false), { once: true }),
    );
    return Promise.race([
      this.tryAcquireOrRenew().catch((err: Error) => {
        this.options.log(`leader election: ${err.message}`);
        return false;
      }),
      timedOut,
    ]);
  }

  /**
   * Campaigns until the signal aborts: while leading, `lead` runs with a signal that aborts when
   * leadership is lost (or on shutdown); the next campaign starts only once `lead` has returned.
   */
  async run(signal: AbortSignal, lead: (leading: AbortSignal) => Promise<void>): Promise<void> {
    const { retryPeriodMs, renewDeadlineMs, identity, log } = this.options;
    const jittered = () => retryPeriodMs * (1 + Math.random() * 0.2);
    while (!signal.aborted) {
      if (!(await this.attempt(renewDeadlineMs))) {
        await sleep(jittered(), undefined, { signal }).catch(() => undefined);
        continue;
      }
      log(`leader election: ${identity} leads`);
      const leading = new AbortController();
      const work = lead(AbortSignal.any([leading.signal, signal])).catch((err: Error) =>
        log(`leader work stopped: ${err.message}`),
      );
      let renewed = this.now();
      while (!signal.aborted) {
        await sleep(retryPeriodMs, undefined, { signal }).catch(() => undefined);
        if (signal.aborted) break;
        if (await this.attempt(renewDeadlineMs - (this.now() - renewed))) {
          renewed = this.now();
          continue;
        }
        if (this.now() - renewed >= renewDeadlineMs) {
          log(
            `leader election: ${identity} could not renew the Lease within ${renewDeadlineMs}ms: stopping its work`,
          );
          break;
        }
      }
      leading.abort(new Error("leadership lost"));
      await work;
      if (signal.aborted) await this.release();
    }
  }

  /** Gives the Lease up (no holder) if this replica still holds it, as client-go's ReleaseOnCancel. */
  async release(): Promise<void> {
    const current = await this.options.store.get().catch(() => undefined);
    if (current?.record.holderIdentity !== this.options.identity) return;
    const time = microTime(new Date(this.now()));
    await this.options.store
      .update(
        { ...current.record, holderIdentity: "", leaseDurationSeconds: 1, renewTime: time },
        current.resourceVersion,
      )
      .catch(() => undefined);
    this.options.log(`leader election: ${this.options.identity} released the Lease`);
  }
}

/** The Lease as a coordination.k8s.io/v1 object through the cluster port. */
export function leaseStore(
  port: ClusterPort,
  namespace: string,
  name: string,
  fieldManager: string,
): LeaseStore {
  const ref = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace, name };
  const object = (record: LeaseRecord, resourceVersion?: string) => ({
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name,
      namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    spec: { ...record },
  });
  return {
    async get() {
      const lease = await port.get(ref);
      if (!lease) return undefined;
      const spec = lease.spec ?? {};
      return {
        resourceVersion: lease.metadata.resourceVersion ?? "",
        record: {
          holderIdentity: spec.holderIdentity ?? "",
          leaseDurationSeconds: Number(spec.leaseDurationSeconds ?? 0),
          acquireTime: spec.acquireTime ?? "",
          renewTime: spec.renewTime ?? "",
          leaseTransitions: Number(spec.leaseTransitions ?? 0),
        },
      };
    },
    async create(record) {
      await port.create(object(record));
    },
    async update(record, resourceVersion) {
      // Server-side apply under the resourceVersion read: a 409 when another wrote in between.
      await port.apply(object(record, resourceVersion), { fieldManager, force: true });
    },
  };
}
