import { describe, expect, it } from "vitest";
import { ClusterRequestError } from "../../../src/cluster/errors.js";
import { LeaderElector, type LeaseStore, nextAttempt } from "../../../src/controller/leader.js";
import { ExitCode } from "../../../src/errors.js";

type Stored = NonNullable<Awaited<ReturnType<LeaseStore["get"]>>>;
type Record = Stored["record"];

const T0 = Date.parse("2026-12-01T10:00:00Z");

function stored(record: Partial<Record>, resourceVersion = "7"): Stored {
  return {
    resourceVersion,
    record: {
      holderIdentity: "a",
      leaseDurationSeconds: 15,
      acquireTime: "2026-12-01T09:00:00.000000Z",
      renewTime: "2026-12-01T09:59:59.000000Z",
      leaseTransitions: 2,
      ...record,
    },
  };
}

describe("nextAttempt (client-go's tryAcquireOrRenew)", () => {
  it("creates an absent Lease with no transition yet", () => {
    const { attempt } = nextAttempt(undefined, undefined, "b", 15, T0);
    expect(attempt).toEqual({
      op: "create",
      record: {
        holderIdentity: "b",
        leaseDurationSeconds: 15,
        acquireTime: "2026-12-01T10:00:00.000000Z",
        renewTime: "2026-12-01T10:00:00.000000Z",
        leaseTransitions: 0,
      },
    });
  });

  it("waits while another holder's record was seen changing less than a lease ago (on this clock)", () => {
    const first = nextAttempt(stored({}), undefined, "b", 15, T0);
    expect(first.attempt).toEqual({ op: "wait", holder: "a" });
    // Same record 14 s later: not expired yet, whatever renewTime says.
    const later = nextAttempt(stored({}), first.observed, "b", 15, T0 + 14_000);
    expect(later.attempt.op).toBe("wait");
    // The holder renewed: the clock starts again.
    const renewed = nextAttempt(
      stored({ renewTime: "2026-12-01T10:00:14.000000Z" }, "8"),
      later.observed,
      "b",
      15,
      T0 + 14_500,
    );
    expect(renewed.attempt.op).toBe("wait");
    expect(renewed.observed?.at).toBe(T0 + 14_500);
  });

  it("takes over a Lease not renewed for its duration: new acquireTime, one more transition, under the resourceVersion read", () => {
    const seen = nextAttempt(stored({}), undefined, "b", 15, T0).observed;
    const { attempt } = nextAttempt(stored({}), seen, "b", 15, T0 + 15_001);
    expect(attempt).toMatchObject({
      op: "update",
      resourceVersion: "7",
      record: { holderIdentity: "b", acquireTime: "2026-12-01T10:00:15.001000Z", leaseTransitions: 3 },
    });
  });

  it("takes a released Lease (no holder) at once", () => {
    const { attempt } = nextAttempt(stored({ holderIdentity: "" }), undefined, "b", 15, T0);
    expect(attempt).toMatchObject({ op: "update", record: { holderIdentity: "b", leaseTransitions: 3 } });
  });

  it("renews its own Lease keeping acquireTime and the transitions", () => {
    const { attempt } = nextAttempt(stored({ holderIdentity: "b" }), undefined, "b", 15, T0);
    expect(attempt).toMatchObject({
      op: "update",
      record: {
        holderIdentity: "b",
        acquireTime: "2026-12-01T09:00:00.000000Z",
        renewTime: "2026-12-01T10:00:00.000000Z",
        leaseTransitions: 2,
      },
    });
  });
});

/** A Lease store with the apiserver's optimistic concurrency: a stale resourceVersion is a 409. */
class MemoryLease implements LeaseStore {
  current: Stored | undefined;
  private version = 0;
  failing = new Set<string>();

  private conflict(): Error {
    return new ClusterRequestError("conflict", ExitCode.conflict, undefined, [], 409, "Conflict");
  }

  async get() {
    return this.current ? structuredClone(this.current) : undefined;
  }
  async create(record: Record) {
    if (this.current) throw this.conflict();
    this.current = { record, resourceVersion: String(++this.version) };
  }
  async update(record: Record, resourceVersion: string) {
    if (this.failing.has(record.holderIdentity)) throw new Error("apiserver unreachable");
    if (this.current?.resourceVersion !== resourceVersion) throw this.conflict();
    this.current = { record, resourceVersion: String(++this.version) };
  }
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function elector(store: LeaseStore, identity: string, log: string[]) {
  return new LeaderElector({
    identity,
    leaseDurationMs: 1500,
    renewDeadlineMs: 800,
    retryPeriodMs: 100,
    store,
    log: (l) => log.push(l),
  });
}

describe("LeaderElector", () => {
  it("two candidates racing on the same Lease: exactly one wins each try", async () => {
    const store = new MemoryLease();
    const [a, b] = [elector(store, "a", []), elector(store, "b", [])];
    const won = await Promise.all([a.tryAcquireOrRenew(), b.tryAcquireOrRenew()]);
    expect(won.filter(Boolean)).toHaveLength(1);
  });

  it("a leader that cannot renew stops its work within the renew deadline, before the Lease expires; the other then leads", async () => {
    const store = new MemoryLease();
    const log: string[] = [];
    const stop = new AbortController();
    const events: string[] = [];
    const lead = (who: string) => async (leading: AbortSignal) => {
      events.push(`${who} leads at ${Date.now()}`);
      await new Promise<void>((resolve) =>
        leading.addEventListener("abort", () => resolve(), { once: true }),
      );
      events.push(`${who} stopped at ${Date.now()}`);
    };
    const runA = elector(store, "a", log).run(stop.signal, lead("a"));
    await wait(300);
    const runB = elector(store, "b", log).run(stop.signal, lead("b"));
    await wait(300);
    expect(events.map((e) => e.split(" at ")[0])).toEqual(["a leads"]);
    const cutOff = Date.now();
    store.failing.add("a"); // a's renewals fail from now on
    await wait(2500);
    const [aStopped, bLeads] = [
      events.find((e) => e.startsWith("a stopped")),
      events.find((e) => e.startsWith("b leads")),
    ];
    expect(aStopped).toBeDefined();
    expect(bLeads).toBeDefined();
    const at = (e: string | undefined) => Number(e?.split(" at ")[1]);
    // a stopped before b could take the Lease (its expiry counts from b's last sight of a renewal).
    expect(at(aStopped)).toBeLessThan(at(bLeads));
    expect(at(aStopped) - cutOff).toBeLessThan(1500);
    expect(store.current?.record).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
    expect(log.some((l) => l.includes("a could not renew the Lease within 800ms"))).toBe(true);
    stop.abort();
    await Promise.all([runA, runB]);
  });

  it("releases the Lease on shutdown so that another candidate takes it at once", async () => {
    const store = new MemoryLease();
    const stop = new AbortController();
    const running = elector(store, "a", []).run(stop.signal, async (leading) => {
      await new Promise<void>((resolve) =>
        leading.addEventListener("abort", () => resolve(), { once: true }),
      );
    });
    await wait(200);
    stop.abort();
    await running;
    expect(store.current?.record).toMatchObject({ holderIdentity: "", leaseDurationSeconds: 1 });
    expect(await elector(store, "b", []).tryAcquireOrRenew()).toBe(true);
  });
});
