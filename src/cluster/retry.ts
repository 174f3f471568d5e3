// When the apiserver fails for a moment (a restart during an upgrade, a dropped connection,
// overload), requests are retried with exponential backoff and jitter within a time budget,
// as client-go does. What is retried: connection failures once the cluster has answered at
// least once (a cluster that never answered is unreachable, exit 6 at once), and 429/5xx
// answers, except a failing admission webhook, which is not the apiserver's fault.

import { setTimeout as sleep } from "node:timers/promises";

export interface RetryPolicy {
  /** Stop retrying once this much time has passed since the first attempt. */
  budgetMs: number;
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { budgetMs: 90_000, initialMs: 250, maxMs: 5_000 };

/** The delay before attempt `attempt + 1`, or undefined when the budget does not allow it. */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  startedAt: number,
  now = Date.now(),
): number | undefined {
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** (attempt - 1));
  const delay = Math.round(base * (0.8 + Math.random() * 0.4));
  return now + delay - startedAt > policy.budgetMs ? undefined : delay;
}

/** 429 and 5xx answers that are worth another try; a webhook's failure is reported at once. */
export function retryableStatus(status: number, text: string): boolean {
  if (status !== 429 && status < 500) return false;
  return !/failed calling webhook/i.test(text);
}

export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return sleep(ms, undefined, signal ? { signal } : {});
}
