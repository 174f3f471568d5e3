// The JSON schema of an analysis file (docs/analysis.schema.json is this, written out; a unit test
// keeps the two equal). Validated with Ajv when the file is loaded.

const duration = {
  type: "string",
  pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$",
  description: "a duration: 500ms, 30s, 2m, 1h30m",
} as const;

const stepList = (description: string) =>
  ({
    type: "array",
    items: { type: "integer", minimum: 0, maximum: 6 },
    uniqueItems: true,
    description,
  }) as const;

const measurement = {
  interval: { ...duration, description: "time between two measurements (default 30s)" },
  count: { type: "integer", minimum: 1, description: "measurements to take (default 3)" },
  initialDelay: { ...duration, description: "wait before the first measurement (default 0s)" },
} as const;

export const ANALYSIS_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://ambient-migrate.io/schemas/analysis.schema.json",
  title: "ambient-migrate analysis",
  description:
    "Health checks run on Prometheus between migration steps (modelled on Argo Rollouts' AnalysisTemplate).",
  type: "object",
  additionalProperties: false,
  required: ["apiVersion", "kind", "prometheus"],
  properties: {
    apiVersion: { const: "ambient-migrate.io/v1alpha1" },
    kind: { const: "Analysis" },
    prometheus: {
      type: "object",
      additionalProperties: false,
      required: ["address"],
      properties: {
        address: { type: "string", pattern: "^https?://", description: "Prometheus's base URL" },
        bearerToken: {
          type: "string",
          description: "sent as Authorization: Bearer (prefer bearerTokenFile)",
        },
        bearerTokenFile: { type: "string", description: "read at every query (rotated tokens)" },
        basicAuth: {
          type: "object",
          additionalProperties: false,
          required: ["username"],
          description: "HTTP basic auth (Prometheus's own web.config.file basic_auth_users)",
          properties: {
            username: { type: "string", minLength: 1 },
            password: { type: "string" },
            passwordFile: { type: "string", description: "read at every query" },
          },
          not: { required: ["password", "passwordFile"] },
        },
        timeout: { ...duration, description: "per query (default 30s)" },
        tls: {
          type: "object",
          additionalProperties: false,
          description: "for an https address (names as in Prometheus's tls_config)",
          properties: {
            caFile: { type: "string", description: "PEM CA bundle that signed Prometheus's certificate" },
            certFile: { type: "string", description: "PEM client certificate (with keyFile)" },
            keyFile: { type: "string", description: "PEM key of the client certificate (with certFile)" },
            serverName: {
              type: "string",
              description: "the name to expect in Prometheus's certificate (and to send as SNI)",
            },
            insecureSkipVerify: {
              type: "boolean",
              description: "do not verify Prometheus's certificate (test setups only)",
            },
          },
          dependencies: { certFile: ["keyFile"], keyFile: ["certFile"] },
        },
      },
      not: { required: ["bearerToken", "bearerTokenFile"] },
    },
    steps: stepList("the steps after which the analysis runs (default [1, 2, 4, 5])"),
    onFailure: {
      enum: ["pause", "rollback"],
      description:
        "pause: stop with exit 9 (migrate resumes later); rollback: roll back to the state before the migration, then run the analysis again",
    },
    measurement: {
      type: "object",
      additionalProperties: false,
      description: "defaults for every metric's interval, count and initialDelay",
      properties: measurement,
    },
    defaultSlo: {
      type: "object",
      additionalProperties: false,
      description: "add the reporter-agnostic default metrics (what --slo default uses), per Service",
      properties: {
        rateWindow: { ...duration, description: "range of rate() in the default queries (default 1m)" },
        minSuccessRate: { type: "number", minimum: 0, maximum: 1, description: "default 0.95" },
        maxLatencyFactor: {
          type: "number",
          exclusiveMinimum: 0,
          description: "p99 latency may grow to this many times its baseline (default 2)",
        },
        maxTcpFailureRate: {
          type: "number",
          minimum: 0,
          maximum: 1,
          description: "share of TCP connections closed with a failure flag (default 0.05)",
        },
      },
    },
    metrics: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "query"],
        properties: {
          name: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" },
          query: {
            type: "string",
            minLength: 1,
            description:
              "PromQL; {{namespace}}, {{service}} (one check per Service of the namespace) and {{step}} are replaced",
          },
          ...measurement,
          successCondition: { type: "string", description: "e.g. result >= 0.95" },
          failureCondition: { type: "string", description: "e.g. result > 500" },
          thresholdRange: {
            type: "object",
            additionalProperties: false,
            properties: {
              min: { type: "number" },
              max: { type: "number" },
              relative: {
                type: "boolean",
                description: "min and max are factors of the metric's baseline (needs baseline: true)",
              },
            },
            anyOf: [{ required: ["min"] }, { required: ["max"] }],
          },
          failureLimit: {
            type: "integer",
            minimum: 0,
            description: "failed measurements tolerated (default 0)",
          },
          inconclusiveLimit: {
            type: "integer",
            minimum: 0,
            description: "inconclusive measurements tolerated (default 0)",
          },
          baseline: { type: "boolean", description: "measure once before step 1 and journal the value" },
          steps: stepList(
            "judge this metric only after these steps (0: before the migration and after a rollback); default: every gated step",
          ),
        },
        oneOf: [
          { anyOf: [{ required: ["successCondition"] }, { required: ["failureCondition"] }] },
          { required: ["thresholdRange"] },
        ],
      },
    },
  },
  anyOf: [{ required: ["metrics"] }, { required: ["defaultSlo"] }],
} as const;
