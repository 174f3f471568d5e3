// One run per namespace: a coordination.k8s.io/v1 Lease `ambient-migrate-lock` in the namespace,
// held while the run works and renewed so that a crashed run's lock expires. A live lock is
// never taken over. Creation races are settled by server-side apply itself: each holder applies
// with its own field manager, so the second creator conflicts on spec.holderIdentity (409)
// instead of silently overwriting it.

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { isStatus } from "../cluster/errors.js";
import type { ClusterPort } from "../cluster/port.js";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import type { ObjectRef } from "../inventory/identity.js";
import type { KubeObject } from "../inventory/model.js";
import { MANAGED_BY, MANAGED_BY_LABEL } from "../ownership.js";

export const LOCK_NAME = "ambient-migrate-lock";
const LEASE_SECONDS = 30;
const RENEW_EVERY_MS = 10_000;

export function newHolderIdentity(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

export function lockRef(namespace: string): ObjectRef {
  return { apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace, name: LOCK_NAME };
}

/** Lease times are MicroTime: RFC 3339 with microseconds. */
export function microTime(at: Date): string {
  return at.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** A holder that was a process of this host which no longer runs (killed, crashed). */
function holderDeadHere(holder: string): boolean {
  const parts = /^(.*)-(\d+)-[0-9a-f]+$/.exec(holder);
  if (!parts || parts[1] !== hostname()) return false;
  try {
    process.kill(Number(parts[2]), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

function leaseExpired(lease: KubeObject, now: Date): boolean {
  const renewed = Date.parse(lease.spec?.renewTime ?? lease.spec?.acquireTime ?? "");
  const seconds = Number(lease.spec?.leaseDurationSeconds ?? LEASE_SECONDS);
  return Number.isNaN(renewed) || renewed + seconds * 1000 < now.getTime();
}

function conflict(namespace: string, holder: string, lease?: KubeObject): AmbientMigrateError {
  const renewed = lease?.spec?.renewTime ? `, renewed ${lease.spec.renewTime}` : "";
  return new AmbientMigrateError(
    `namespace ${namespace} is locked by another ambient-migrate run: ${holder}${renewed}`,
    ExitCode.conflict,
    `wait for that run to finish, or, if it died, for its lock to expire (${LEASE_SECONDS}s after its last renewal), then run again`,
  );
}

/** The run no longer holds its namespace's lock: it must not write the journal any more. */
export class LockLost extends AmbientMigrateError {}

function lockLost(namespace: string, holder: string | undefined, lease?: KubeObject): LockLost {
  const by = holder
    ? `taken by another run, ${holder}${lease?.spec?.renewTime ? ` (renewed ${lease.spec.renewTime})` : ""}`
    : "deleted (by another run that took it and finished, or by hand)";
  return new LockLost(
    `the migration lock of ${namespace} (Lease ${LOCK_NAME}) was ${by}: this run could not renew it within ${LEASE_SECONDS}s (paused, or cut off from the apiserver); stopped before its next change`,
    ExitCode.conflict,
    `only one run may change ${namespace}: let the other run finish (ambient-migrate status -n ${namespace}), then run again to resume or roll back`,
  );
}

export class NamespaceLock {
  private timer: NodeJS.Timeout | undefined;
  private lost: Error | undefined;
  private renewing: Promise<void> | undefined;

  private constructor(
    private readonly port: ClusterPort,
    readonly namespace: string,
    readonly holder: string,
    private acquired: Date,
    private transitions: number,
  ) {}

  private lease(now: Date, resourceVersion?: string): KubeObject {
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: LOCK_NAME,
        namespace: this.namespace,
        labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
        ...(resourceVersion ? { resourceVersion } : {}),
      },
      spec: {
        holderIdentity: this.holder,
        leaseDurationSeconds: LEASE_SECONDS,
        acquireTime: microTime(this.acquired),
        renewTime: microTime(now),
        leaseTransitions: this.transitions,
      },
    };
  }

  private get fieldManager(): string {
    return `ambient-migrate-lock-${this.holder}`.slice(0, 128);
  }

  /** Takes the namespace's lock, or throws exit 10 naming the holder. */
  static async acquire(
    port: ClusterPort,
    namespace: string,
    holder: string,
    now: Date = new Date(),
  ): Promise<NamespaceLock> {
    const existing = await port.get(lockRef(namespace));
    const current = existing?.spec?.holderIdentity as string | undefined;
    if (existing && current && current !== holder && !leaseExpired(existing, now) && !holderDeadHere(current))
      throw conflict(namespace, current, existing);
    const transitions =
      Number(existing?.spec?.leaseTransitions ?? 0) + (existing && current !== holder ? 1 : 0);
    const lock = new NamespaceLock(port, namespace, holder, now, transitions);
    try {
      // Taking over an expired lease: only if nobody renewed it since it was read.
      await port.apply(lock.lease(now, existing?.metadata.resourceVersion), {
        fieldManager: lock.fieldManager,
        force: existing !== undefined,
      });
    } catch (err) {
      if (isStatus(err, 409)) {
        const winner = (await port.get(lockRef(namespace)))?.spec?.holderIdentity ?? "another run";
        throw conflict(namespace, winner);
      }
      throw err;
    }
    return lock;
  }

  /**
   * Renews the lease in the background; onLost is called if another holder took it. A renewal
   * that fails for another reason (the apiserver restarting) is tried again at the next tick;
   * verify() before each change settles whether the lock is still held.
   */
  keepRenewed(onLost: (err: Error) => void, everyMs = RENEW_EVERY_MS): void {
    this.timer = setInterval(() => {
      this.renew().catch((err: Error) => {
        if (!(err instanceof LockLost)) return;
        this.lost = err;
        onLost(err);
      });
    }, everyMs);
    this.timer.unref();
  }

  /**
   * Before a change: the lease is still this run's. One that expired while the run was paused
   * and that nobody took is renewed (under its resourceVersion); one another run took is lost.
   */
  async verify(now: Date = new Date()): Promise<void> {
    const lease = await this.port.get(lockRef(this.namespace));
    const holder = lease?.spec?.holderIdentity as string | undefined;
    if (!lease || holder !== this.holder) {
      const err = lockLost(this.namespace, holder, lease);
      this.lost = err;
      throw err;
    }
    if (leaseExpired(lease, now)) await this.renew(now);
  }

  /** One renewal at a time: while the apiserver is away a renewal retries for long, and the
   * timer's next one must not race it (the loser's precondition would fail: a lock "lost" to itself). */
  renew(now: Date = new Date()): Promise<void> {
    this.renewing ??= this.renewOnce(now).finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  private async renewOnce(now: Date): Promise<void> {
    const lease = await this.port.get(lockRef(this.namespace));
    const holder = lease?.spec?.holderIdentity;
    if (holder !== this.holder) throw lockLost(this.namespace, holder, lease);
    try {
      await this.port.apply(this.lease(now, lease?.metadata.resourceVersion), {
        fieldManager: this.fieldManager,
      });
    } catch (err) {
      if (!isStatus(err, 409)) throw err;
      // A conflict after a lost answer may be this run's own renewal that landed: the lock is
      // lost only when the Lease now names someone else (or is gone).
      const after = await this.port.get(lockRef(this.namespace));
      const holderNow = after?.spec?.holderIdentity as string | undefined;
      if (holderNow !== this.holder) throw lockLost(this.namespace, holderNow, after);
    }
  }

  /** Deletes the lease if this run still holds it. */
  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.lost) return;
    const lease = await this.port.get(lockRef(this.namespace));
    if (lease?.spec?.holderIdentity !== this.holder) return;
    await this.port.delete(
      lockRef(this.namespace),
      lease.metadata.resourceVersion ? { resourceVersion: lease.metadata.resourceVersion } : {},
    );
  }
}
