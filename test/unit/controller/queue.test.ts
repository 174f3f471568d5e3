import { describe, expect, it } from "vitest";
import { WorkQueue } from "../../../src/controller/queue.js";

describe("WorkQueue", () => {
  it("hands a name to one worker at a time; one added meanwhile comes again after done()", async () => {
    const q = new WorkQueue();
    const signal = new AbortController().signal;
    q.add("m");
    q.add("m");
    expect(await q.take(signal)).toBe("m");
    q.add("m"); // changed while processed
    const second = q.take(signal);
    let taken: string | undefined;
    void second.then((n) => {
      taken = n;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(taken).toBeUndefined();
    q.done("m");
    expect(await second).toBe("m");
  });

  it("wakes every waiting worker, one per name", async () => {
    const q = new WorkQueue();
    const signal = new AbortController().signal;
    const takes = [q.take(signal), q.take(signal)];
    q.add("a");
    q.add("b");
    expect((await Promise.all(takes)).sort()).toEqual(["a", "b"]);
  });

  it("retries after a delay that doubles with each failure, and forgets a deleted name", async () => {
    const q = new WorkQueue(20, 1000);
    expect(q.retry("m")).toBe(20);
    expect(q.retry("m")).toBe(40);
    q.succeeded("m");
    expect(q.retry("m")).toBe(20);
    const controller = new AbortController();
    expect(await q.take(controller.signal)).toBe("m");
    q.done("m");
    q.retry("gone");
    q.forget("gone");
    setTimeout(() => controller.abort(), 100);
    expect(await q.take(controller.signal)).toBeUndefined();
    q.close();
  });
});
