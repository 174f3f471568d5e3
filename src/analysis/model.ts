// An analysis as the run uses it: durations in milliseconds, defaults filled in, conditions
// checked. `checks` are the metrics expanded for one namespace (one per Service where the query
// names {{service}}), which is what is judged and journalled.

import { stepNumber } from "../plan/steps.js";
import type { PrometheusConnection } from "../prometheus/client.js";

export type OnFailure = "pause" | "rollback";

/** Where Prometheus is and how to talk to it (names as in Prometheus's own http_config). */
export type PrometheusSettings = PrometheusConnection;

interface ThresholdRange {
  min?: number;
  max?: number;
  /** min and max are factors of the check's baseline. */
  relative: boolean;
}

export interface MetricSpec {
  name: string;
  query: string;
  intervalMs: number;
  count: number;
  initialDelayMs: number;
  successCondition?: string;
  failureCondition?: string;
  thresholdRange?: ThresholdRange;
  failureLimit: number;
  inconclusiveLimit: number;
  baseline: boolean;
  /** Judged only after these steps (0: before the migration, and after a rollback); absent: every step. */
  steps?: number[];
  /** Why this check is what it is (the default SLO says which telemetry a Service is judged on). */
  note?: string;
}

/** One metric for one namespace (and Service): the query has {{namespace}} and {{service}} filled in. */
export interface Check extends MetricSpec {
  /** metric name, or metric/service. */
  key: string;
  service?: string;
}

export interface DefaultSloSettings {
  rateWindow: string;
  minSuccessRate: number;
  maxLatencyFactor: number;
  maxTcpFailureRate: number;
}

export interface Analysis {
  /** The file it came from, or "--slo default". */
  source: string;
  prometheus: PrometheusSettings;
  steps: number[];
  onFailure: OnFailure;
  metrics: MetricSpec[];
  defaultSlo?: DefaultSloSettings;
  /** interval, count and initialDelay of metrics that do not set them (and of the default SLO's). */
  measurement: Pick<MetricSpec, "intervalMs" | "count" | "initialDelayMs">;
}

/** A Service of the namespace, and whether its traffic goes through a waypoint after migration. */
export interface ServiceTarget {
  name: string;
  waypoint: boolean;
}

/** After the steps that change traffic: the waypoint, ambient, the restarts, the deletions. */
export const DEFAULT_GATED_STEPS: number[] = (
  ["activate-waypoint", "enable-ambient", "restart", "remove-sidecar-config"] as const
).map(stepNumber);
export const DEFAULT_MEASUREMENT = { intervalMs: 30_000, count: 3, initialDelayMs: 0 };
export const DEFAULT_SLO: DefaultSloSettings = {
  rateWindow: "1m",
  minSuccessRate: 0.95,
  maxLatencyFactor: 2,
  maxTcpFailureRate: 0.05,
};
/** The step number the analysis uses before step 1 (baseline) and after a rollback. */
export const BEFORE_MIGRATION = 0;
