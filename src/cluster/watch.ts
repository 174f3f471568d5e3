// A watch that does not stall or die: it resumes from the last resourceVersion it saw (bookmarks
// included) when the server ends the stream or the connection drops, relists when the server
// says that version is gone (410), and backs off between failures. Informers in client-node
// stop on error; this keeps going until the caller aborts or failures repeat without progress.

import { setTimeout as sleep } from "node:timers/promises";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import type { KubeObject } from "../inventory/model.js";
import { ClusterRequestError, isNetworkError } from "./errors.js";
import type { ListResult, WatchEvent } from "./port.js";

export interface RawWatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  // biome-ignore lint/suspicious/noExplicitAny: a KubeObject or a metav1.Status for ERROR
  object: any;
}

export interface StreamEnd {
  /** 200 when the server ended the stream normally; an error status otherwise. */
  status: number;
  text: string;
}

export interface WatchSource {
  list(): Promise<ListResult>;
  /** One watch request from resourceVersion; resolves when it ends, rejects on network failure. */
  stream(
    resourceVersion: string,
    onEvent: (event: RawWatchEvent) => void,
    signal: AbortSignal,
  ): Promise<StreamEnd>;
  /** Turns a non-retryable error status into the error to throw (403 and the like). */
  fail(end: StreamEnd): Error;
}

interface WatchLoopOptions {
  resourceVersion?: string;
  signal?: AbortSignal;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Give up after this many failures in a row with no event in between. */
  maxFailures?: number;
  /** Called on each retry, with why (for progress on stderr). */
  onRetry?: (reason: string, delayMs: number) => void;
}

const GONE = 410;

function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

export async function runWatch(
  source: WatchSource,
  onEvent: (event: WatchEvent) => void,
  options: WatchLoopOptions = {},
): Promise<void> {
  const signal = options.signal ?? new AbortController().signal;
  const initial = options.initialBackoffMs ?? 500;
  const max = options.maxBackoffMs ?? 30_000;
  const maxFailures = options.maxFailures ?? 8;
  let resourceVersion = options.resourceVersion;
  let failures = 0;
  let lastError: unknown;

  const relist = async () => {
    const list = await source.list();
    resourceVersion = list.resourceVersion;
    onEvent({ type: "RELISTED", objects: list.items });
  };

  const backoff = async (reason: string, err: unknown) => {
    failures++;
    lastError = err;
    if (failures >= maxFailures) throw lastError;
    const delay = Math.min(max, initial * 2 ** (failures - 1));
    const jittered = Math.round(delay * (0.8 + Math.random() * 0.4));
    options.onRetry?.(reason, jittered);
    await sleep(jittered, undefined, { signal }).catch(() => undefined);
  };

  while (!signal.aborted) {
    try {
      if (resourceVersion === undefined) await relist();
      let gone = false;
      const end = await source.stream(
        resourceVersion as string,
        (raw) => {
          if (raw.type === "ERROR") {
            if ((raw.object as { code?: number })?.code === GONE) gone = true;
            return;
          }
          const rv = (raw.object as KubeObject)?.metadata?.resourceVersion;
          if (rv) resourceVersion = rv;
          failures = 0;
          if (raw.type !== "BOOKMARK") onEvent({ type: raw.type, object: raw.object as KubeObject });
        },
        signal,
      );
      if (signal.aborted) return;
      if (gone || end.status === GONE) {
        resourceVersion = undefined; // the next turn relists
        continue;
      }
      if (end.status === 200) continue; // the server closed the watch (its timeout): resume
      if (isRetryableStatus(end.status)) {
        await backoff(`watch answered ${end.status}`, source.fail(end));
        continue;
      }
      throw source.fail(end);
    } catch (err) {
      if (signal.aborted) return;
      if (!isRetryable(err)) throw err;
      await backoff(`watch connection failed: ${(err as Error).message}`, err);
    }
  }
}

/** Unreachable clusters, 5xx and 429 are worth retrying; RBAC refusals and bugs are not. */
function isRetryable(err: unknown): boolean {
  if (err instanceof ClusterRequestError) return isRetryableStatus(err.status);
  if (err instanceof AmbientMigrateError) return err.exitCode === ExitCode.clusterUnreachable;
  return isNetworkError(err);
}
