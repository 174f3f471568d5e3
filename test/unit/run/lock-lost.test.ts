// A run that lost its lock (paused past its Lease, another run took it) notices before its
// next change; one whose Lease merely expired, with nobody taking it, renews and goes on.
import { describe, expect, it } from "vitest";
import { ClusterRequestError } from "../../../src/cluster/errors.js";
import { FakeClusterPort } from "../../../src/cluster/fake.js";
import type { ApplyOptions } from "../../../src/cluster/port.js";
import { ExitCode } from "../../../src/errors.js";
import type { KubeObject } from "../../../src/inventory/model.js";
import { LockLost, lockRef, NamespaceLock } from "../../../src/run/lock.js";
import { deadHolder } from "./sim.js";

const lease = (port: FakeClusterPort) => port.get(lockRef("shop"));

describe("NamespaceLock.verify", () => {
  it("stops with exit 10 naming the run that took the lease", async () => {
    const port = new FakeClusterPort();
    const lock = await NamespaceLock.acquire(port, "shop", deadHolder(), new Date("2026-12-01T08:00:00Z"));
    const current = (await lease(port)) as NonNullable<Awaited<ReturnType<typeof lease>>>;
    port.put({
      ...current,
      spec: {
        ...current.spec,
        holderIdentity: "other-host-42-abcdef",
        renewTime: "2026-12-01T08:00:40.000000Z",
      },
    });
    const error = await lock.verify(new Date("2026-12-01T08:00:41Z")).catch((e) => e);
    expect(error).toBeInstanceOf(LockLost);
    expect(error.exitCode).toBe(ExitCode.conflict);
    expect(error.message).toContain(
      "the migration lock of shop (Lease ambient-migrate-lock) was taken by another run, other-host-42-abcdef (renewed 2026-12-01T08:00:40.000000Z)",
    );
    expect(error.message).toContain("stopped before its next change");
    // It is not this run's to release any more.
    await lock.release();
    expect((await lease(port))?.spec.holderIdentity).toBe("other-host-42-abcdef");
  });

  it("renews a lease that expired while nobody took it", async () => {
    const port = new FakeClusterPort();
    const holder = deadHolder();
    const lock = await NamespaceLock.acquire(port, "shop", holder, new Date("2026-12-01T08:00:00Z"));
    await lock.verify(new Date("2026-12-01T08:05:00Z"));
    const renewed = await lease(port);
    expect(renewed?.spec.holderIdentity).toBe(holder);
    expect(renewed?.spec.renewTime).toBe("2026-12-01T08:05:00.000000Z");
  });

  it("a deleted lease is a lost lock", async () => {
    const port = new FakeClusterPort();
    const lock = await NamespaceLock.acquire(port, "shop", deadHolder());
    await port.delete(lockRef("shop"));
    const error = await lock.verify().catch((e) => e);
    expect(error).toBeInstanceOf(LockLost);
    expect(error.message).toContain("was deleted (by another run that took it and finished, or by hand)");
  });

  it("a renewal whose answer was lost keeps the lock (its retry conflicts with its own write)", async () => {
    const fake = new FakeClusterPort();
    const holder = deadHolder();
    const lock = await NamespaceLock.acquire(fake, "shop", holder);
    let applies = 0;
    // The apiserver stores the renewal, the connection drops before the answer, the retry
    // carries the old resourceVersion: 409.
    const port = new Proxy(fake, {
      get(target, prop, receiver) {
        if (prop !== "apply") return Reflect.get(target, prop, receiver);
        return async (object: KubeObject, options: ApplyOptions) => {
          applies++;
          await target.apply(object, options);
          throw new ClusterRequestError(
            "Operation cannot be fulfilled",
            ExitCode.conflict,
            undefined,
            [],
            409,
            "Conflict",
          );
        };
      },
    });
    Object.assign(lock, { port });
    // Two renewals at once (the timer fired again while the first one waited): one request.
    await Promise.all([lock.renew(), lock.renew()]);
    expect(applies).toBe(1);
    await lock.verify();
    expect((await lease(fake))?.spec.holderIdentity).toBe(holder);
  });
});
