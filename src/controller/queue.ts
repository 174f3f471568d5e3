// A work queue with client-go's workqueue guarantees, small: a name is processed by one worker
// at a time; a name added while it is processed is processed again afterwards; a retry comes
// after a delay that doubles with each failure in a row (and resets on success).

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Workers waiting for a name, woken one per name added. */
  private readonly waiters: (() => void)[] = [];

  constructor(
    private readonly baseDelayMs = 2000,
    private readonly maxDelayMs = 60_000,
  ) {}

  add(name: string): void {
    if (this.processing.has(name)) {
      this.dirty.add(name);
      return;
    }
    if (!this.queue.includes(name)) this.queue.push(name);
    this.waiters.shift()?.();
  }

  /** Retry after the backoff of this name's failures so far; returns the delay. */
  retry(name: string): number {
    const n = (this.failures.get(name) ?? 0) + 1;
    this.failures.set(name, n);
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (n - 1));
    clearTimeout(this.timers.get(name));
    const timer = setTimeout(() => {
      this.timers.delete(name);
      this.add(name);
    }, delay);
    timer.unref();
    this.timers.set(name, timer);
    return delay;
  }

  succeeded(name: string): void {
    this.failures.delete(name);
  }

  /** Forget a name (its object was deleted): no retry, no backoff. */
  forget(name: string): void {
    this.failures.delete(name);
    clearTimeout(this.timers.get(name));
    this.timers.delete(name);
    const i = this.queue.indexOf(name);
    if (i >= 0) this.queue.splice(i, 1);
    this.dirty.delete(name);
  }

  /** The next name to work on, or undefined once the signal aborts. */
  async take(signal: AbortSignal): Promise<string | undefined> {
    while (!signal.aborted) {
      const name = this.queue.shift();
      if (name !== undefined) {
        this.processing.add(name);
        return name;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          const i = this.waiters.indexOf(done);
          if (i >= 0) this.waiters.splice(i, 1);
          signal.removeEventListener("abort", done);
          resolve();
        };
        this.waiters.push(done);
        signal.addEventListener("abort", done, { once: true });
      });
    }
    return undefined;
  }

  done(name: string): void {
    this.processing.delete(name);
    if (this.dirty.delete(name)) this.add(name);
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
