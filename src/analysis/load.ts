// Reading an analysis: `migrate --analysis FILE` (YAML or JSON, validated by the JSON schema) or
// `--slo default` (the default SLO alone). Every condition and template is checked here, so a
// mistake stops the command before the cluster is touched (exit 4 for the file, 2 for flags).

import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import { parse } from "yaml";
import { AmbientMigrateError, ExitCode } from "../errors.js";
import { parseDurationMs } from "../translate/durations.js";
import { compileCondition } from "./condition.js";
import {
  type Analysis,
  DEFAULT_GATED_STEPS,
  DEFAULT_MEASUREMENT,
  DEFAULT_SLO,
  type MetricSpec,
  type OnFailure,
  type PrometheusSettings,
} from "./model.js";
import { ANALYSIS_SCHEMA } from "./schema.js";
import { templateVariables } from "./template.js";

interface RawMeasurement {
  interval?: string;
  count?: number;
  initialDelay?: string;
}

interface RawMetric extends RawMeasurement {
  name: string;
  query: string;
  successCondition?: string;
  failureCondition?: string;
  thresholdRange?: { min?: number; max?: number; relative?: boolean };
  failureLimit?: number;
  inconclusiveLimit?: number;
  baseline?: boolean;
  steps?: number[];
}

interface RawAnalysis {
  prometheus: {
    address: string;
    bearerToken?: string;
    bearerTokenFile?: string;
    timeout?: string;
    basicAuth?: PrometheusSettings["basicAuth"];
    tls?: PrometheusSettings["tls"];
  };
  steps?: number[];
  onFailure?: OnFailure;
  measurement?: RawMeasurement;
  defaultSlo?: Partial<Analysis["defaultSlo"]>;
  metrics?: RawMetric[];
}

// Compiled on first use, not at import: every command imports this module, few load an analysis,
// and compiling the schema costs ~100 ms of start-up.
let compiled: ValidateFunction<RawAnalysis> | undefined;
const validator = () => {
  compiled ??= new Ajv({ allErrors: true, strict: false }).compile<RawAnalysis>(ANALYSIS_SCHEMA);
  return compiled;
};

function ms(text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : (parseDurationMs(text) ?? fallback);
}

/** Validates and normalizes a parsed analysis document; `source` names it in errors. */
export function analysisFrom(doc: unknown, source: string): Analysis {
  const invalid = (problems: string[]) =>
    new AmbientMigrateError(
      `${source} is not a valid analysis`,
      ExitCode.invalidInput,
      "see docs/analysis.md and docs/analysis.schema.json",
      problems,
    );
  const validate = validator();
  if (!validate(doc))
    throw invalid((validate.errors ?? []).map((e) => `${e.instancePath || "/"}: ${e.message ?? "invalid"}`));
  const raw = doc;
  const defaults = {
    intervalMs: ms(raw.measurement?.interval, DEFAULT_MEASUREMENT.intervalMs),
    count: raw.measurement?.count ?? DEFAULT_MEASUREMENT.count,
    initialDelayMs: ms(raw.measurement?.initialDelay, DEFAULT_MEASUREMENT.initialDelayMs),
  };
  const problems: string[] = [];
  const names = new Set<string>();
  const metrics = (raw.metrics ?? []).map((m, i): MetricSpec => {
    const where = `/metrics/${i} (${m.name})`;
    if (names.has(m.name)) problems.push(`${where}: the name is used twice`);
    names.add(m.name);
    try {
      templateVariables(m.query);
    } catch (err) {
      problems.push(`${where}/query: ${(err as Error).message}`);
    }
    for (const field of ["successCondition", "failureCondition"] as const) {
      const text = m[field];
      if (text === undefined) continue;
      try {
        compileCondition(text);
      } catch (err) {
        problems.push(`${where}/${field} "${text}": ${(err as Error).message}`);
      }
    }
    const range = m.thresholdRange;
    if (range?.relative && m.baseline !== true)
      problems.push(`${where}/thresholdRange: relative needs baseline: true`);
    if (range && range.min !== undefined && range.max !== undefined && range.min > range.max)
      problems.push(`${where}/thresholdRange: min is above max`);
    if (m.baseline && m.steps && !m.steps.includes(0))
      problems.push(
        `${where}: baseline: true needs step 0 among its steps (the baseline is measured before step 1)`,
      );
    return {
      name: m.name,
      query: m.query,
      intervalMs: ms(m.interval, defaults.intervalMs),
      count: m.count ?? defaults.count,
      initialDelayMs: ms(m.initialDelay, defaults.initialDelayMs),
      ...(m.successCondition !== undefined ? { successCondition: m.successCondition } : {}),
      ...(m.failureCondition !== undefined ? { failureCondition: m.failureCondition } : {}),
      ...(range
        ? {
            thresholdRange: {
              ...(range.min !== undefined ? { min: range.min } : {}),
              ...(range.max !== undefined ? { max: range.max } : {}),
              relative: range.relative === true,
            },
          }
        : {}),
      failureLimit: m.failureLimit ?? 0,
      inconclusiveLimit: m.inconclusiveLimit ?? 0,
      baseline: m.baseline === true,
      ...(m.steps ? { steps: [...m.steps].sort((a, b) => a - b) } : {}),
    };
  });
  if (problems.length > 0) throw invalid(problems);
  const p = raw.prometheus;
  return {
    source,
    prometheus: {
      address: p.address,
      ...(p.bearerToken ? { bearerToken: p.bearerToken } : {}),
      ...(p.bearerTokenFile ? { bearerTokenFile: p.bearerTokenFile } : {}),
      ...(p.basicAuth ? { basicAuth: p.basicAuth } : {}),
      ...(p.tls ? { tls: p.tls } : {}),
      ...(p.timeout ? { timeoutMs: ms(p.timeout, 10_000) } : {}),
    },
    steps: [...(raw.steps ?? DEFAULT_GATED_STEPS)].sort((a, b) => a - b),
    onFailure: raw.onFailure ?? "pause",
    metrics,
    ...(raw.defaultSlo ? { defaultSlo: { ...DEFAULT_SLO, ...raw.defaultSlo } } : {}),
    measurement: defaults,
  };
}

/** Reads an analysis file (YAML or JSON). */
export function readAnalysisFile(file: string): Analysis {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new AmbientMigrateError(`cannot read ${file}: ${(err as Error).message}`, ExitCode.notFound);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new AmbientMigrateError(`${file} is not YAML: ${(err as Error).message}`, ExitCode.invalidInput);
  }
  return analysisFrom(doc, file);
}

/** `--slo default --prometheus URL`: the default SLO alone, with the file format's defaults. */
export function defaultSloAnalysis(address: string, onFailure: OnFailure = "pause"): Analysis {
  return analysisFrom(
    {
      apiVersion: "ambient-migrate.io/v1alpha1",
      kind: "Analysis",
      prometheus: { address },
      onFailure,
      defaultSlo: {},
    },
    "--slo default",
  );
}
