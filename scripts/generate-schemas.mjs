#!/usr/bin/env node
// Regenerates src/inventory/schemas.json: the OpenAPI v3 schemas of every kind the tool reads,
// at the versions the testbed pins (testbed/versions.env, testbed/go.mod):
//   - Kubernetes core and apps/batch types: kubernetes' api/openapi-spec/v3 (the apiserver's own);
//   - Istio's CRDs: istioctl's manifests (manifests/charts/base/files/crd-all.gen.yaml);
//   - Gateway API CRDs: the experimental channel, as the testbed installs it;
//   - prometheus-operator's CRDs (PodMonitor, ServiceMonitor, PrometheusRule).
// Descriptions, defaults, formats and CEL rules are dropped (what a structural check needs stays).
// src/inventory/validate.ts compiles a kind's schema with Ajv the first time an object of it is read.
// Run: node scripts/generate-schemas.mjs   (needs Go; the modules come from the Go module proxy)

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

const root = new URL("..", import.meta.url).pathname;
const versions = Object.fromEntries(
  readFileSync(join(root, "testbed/versions.env"), "utf8")
    .split("\n")
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => l.split("=", 2)),
);
const go = (args, cwd) =>
  execFileSync("go", args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GOFLAGS: "", GOWORK: "off" },
  }).trim();
const moduleDir = (path) => go(["list", "-m", "-f", "{{.Dir}}", path], join(root, "testbed"));
const downloaded = (path, version) =>
  JSON.parse(go(["mod", "download", "-json", `${path}@${version}`], "/")).Dir;

const K8S_KINDS = {
  api__v1: ["Namespace", "Pod", "Service", "ServiceAccount", "ConfigMap"],
  apis__apps__v1: ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"],
  apis__batch__v1: ["Job", "CronJob"],
  "apis__networking.k8s.io__v1": ["NetworkPolicy"],
};
// OpenAPI names groups by their short name; apiVersion carries the full one.
const K8S_GROUPS = { core: "", networking: "networking.k8s.io" };
const CRD_KINDS = new Set([
  "VirtualService",
  "DestinationRule",
  "Gateway",
  "ServiceEntry",
  "WorkloadEntry",
  "WorkloadGroup",
  "Sidecar",
  "EnvoyFilter",
  "AuthorizationPolicy",
  "PeerAuthentication",
  "RequestAuthentication",
  "WasmPlugin",
  "Telemetry",
  "GatewayClass",
  "HTTPRoute",
  "GRPCRoute",
  "TCPRoute",
  "TLSRoute",
  "ReferenceGrant",
  "PodMonitor",
  "ServiceMonitor",
  "PrometheusRule",
]);

/** Drops what a structural check does not need and turns Kubernetes' extensions into JSON Schema. */
function compact(node) {
  if (Array.isArray(node)) return node.map(compact);
  if (typeof node !== "object" || node === null) return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (["description", "default", "example", "format", "x-kubernetes-validations"].includes(key)) continue;
    if (key.startsWith("x-kubernetes-")) continue;
    if (key === "$ref") out.$ref = value.replace("#/components/schemas/", REF);
    else if (key === "properties" || key === "patternProperties")
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compact(v)]));
    else out[key] = compact(value);
  }
  // The API server fills in defaults before it validates: a oneOf/anyOf/not that tests a defaulted
  // field (a Gateway address's type, "IPAddress" when absent) cannot be judged without them, and
  // validate.ts does not default (the object read stays as written), so it is left out.
  const defaulted = Object.entries(node.properties ?? {})
    .filter(([, v]) => v?.default !== undefined)
    .map(([k]) => k);
  for (const key of ["oneOf", "anyOf", "not"]) {
    if (out[key] && defaulted.some((name) => namesField(node[key], name))) delete out[key];
  }
  if (node["x-kubernetes-int-or-string"] === true || node.format === "int-or-string") {
    delete out.type;
    out.anyOf = [{ type: "integer" }, { type: "string" }];
  }
  return out;
}

/** Whether a oneOf/anyOf/not tests the field (by its properties or required). */
function namesField(compound, name) {
  return [compound]
    .flat()
    .some((alt) => alt?.properties?.[name] !== undefined || alt?.required?.includes(name));
}

function withoutRequired(node) {
  if (Array.isArray(node)) return node.map(withoutRequired);
  if (typeof node !== "object" || node === null) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k]) => k !== "required")
      .map(([k, v]) => [k, withoutRequired(v)]),
  );
}

// Definitions are referred to by absolute ids ("am:<name>"): validate.ts registers each once with
// Ajv, so a definition that many kinds share (ObjectMeta, PodSpec...) is compiled once per run.
const REF = "am:";
const definitions = {};
const kinds = {};
const k8sDir = moduleDir("k8s.io/kubernetes");
const k8sSchemas = {};
for (const [file, names] of Object.entries(K8S_KINDS)) {
  const spec = JSON.parse(readFileSync(join(k8sDir, "api/openapi-spec/v3", `${file}_openapi.json`), "utf8"));
  Object.assign(k8sSchemas, spec.components.schemas);
  for (const name of names) {
    const id = Object.keys(spec.components.schemas).find(
      (k) => k.endsWith(`.${name}`) && k.startsWith("io.k8s.api."),
    );
    const [, group, version] = id.match(/^io\.k8s\.api\.([^.]+)\.([^.]+)\./);
    kinds[`${K8S_GROUPS[group] ?? group}/${version}/${name}`] = { $ref: `${REF}${id}` };
  }
}
// Kubernetes types as far as the tool reads them: other fields stay unchecked (the apiserver
// checks them), which keeps the validators small.
const READ = {
  "core.v1.PodSpec": ["containers", "initContainers", "hostNetwork", "volumes", "serviceAccountName"],
  "core.v1.Container": ["name", "image", "env", "ports", "restartPolicy", "args"],
  "core.v1.Volume": ["name", "csi"],
  "core.v1.EnvVar": ["name", "value"],
  "core.v1.ServiceSpec": ["selector", "ports", "type", "clusterIP", "externalName"],
  "core.v1.PodStatus": ["phase", "conditions", "containerStatuses", "initContainerStatuses"],
  "core.v1.ContainerStatus": ["name", "ready"],
  "core.v1.ServiceStatus": [],
  "core.v1.NamespaceStatus": [],
  "apps.v1.DeploymentStatus": [],
  "apps.v1.StatefulSetStatus": [],
  "apps.v1.DaemonSetStatus": [],
  "apps.v1.ReplicaSetStatus": [],
  "batch.v1.JobStatus": [],
  "batch.v1.CronJobStatus": [],
  "batch.v1.JobSpec": ["template", "selector"],
  "apps.v1.DeploymentSpec": ["template", "selector", "replicas", "strategy"],
  "apps.v1.StatefulSetSpec": ["template", "selector", "replicas", "updateStrategy"],
  "apps.v1.DaemonSetSpec": ["template", "selector", "updateStrategy"],
  "apps.v1.ReplicaSetSpec": ["template", "selector", "replicas"],
  "meta.v1.ObjectMeta": ["name", "namespace", "labels", "annotations", "ownerReferences", "generateName"],
};
function pruned(id, schema) {
  const keep = Object.entries(READ).find(([suffix]) => id.endsWith(`.${suffix}`))?.[1];
  if (!keep || !schema.properties) return schema;
  const properties = Object.fromEntries(Object.entries(schema.properties).filter(([k]) => keep.includes(k)));
  const required = (schema.required ?? []).filter((k) => keep.includes(k));
  return { ...schema, properties, ...(required.length > 0 ? { required } : { required: undefined }) };
}
// Only the definitions the kinds reach.
const reach = (id) => {
  if (definitions[id]) return;
  const schema = pruned(id, k8sSchemas[id]);
  // Types are checked, presence is left to the apiserver: the tool reads partial objects too.
  definitions[id] = { ...compact(schema), required: undefined };
  JSON.stringify(schema).replace(/"#\/components\/schemas\/([^"]+)"/g, (_, ref) => {
    reach(ref);
    return "";
  });
};
for (const schema of Object.values(kinds)) reach(schema.$ref.slice(REF.length));
const META = `${REF}io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`;

const crdFiles = [
  join(moduleDir("istio.io/istio"), "manifests/charts/base/files/crd-all.gen.yaml"),
  ...readdirSync(join(moduleDir("sigs.k8s.io/gateway-api"), "config/crd/experimental"))
    .filter((f) => f.startsWith("gateway.networking.k8s.io_"))
    .map((f) => join(moduleDir("sigs.k8s.io/gateway-api"), "config/crd/experimental", f)),
  ...["podmonitors", "servicemonitors", "prometheusrules"].map((k) =>
    join(
      downloaded("github.com/prometheus-operator/prometheus-operator", versions.PROMETHEUS_OPERATOR_VERSION),
      `example/prometheus-operator-crd/monitoring.coreos.com_${k}.yaml`,
    ),
  ),
];
// Subtrees the tool never reads, or copies through untouched (a DestinationRule's trafficPolicy
// goes as it is into the subset Service's DestinationRule): checked for their type only, since
// compiling a validator costs time at every run and the apiserver checks them at apply time.
// A CRD's status is the controllers' to fill; the tool reads its conditions, parents and
// addresses (gates), nothing else.
const OPAQUE = {
  "networking.istio.io/DestinationRule": ["spec.trafficPolicy", "spec.subsets[].trafficPolicy"],
  "networking.istio.io/EnvoyFilter": ["spec.configPatches"],
  "networking.istio.io/Gateway": ["spec.servers"],
  "networking.istio.io/Sidecar": ["spec.ingress", "spec.egress[].port"],
  "networking.istio.io/WorkloadGroup": ["spec.template", "spec.probe"],
  "telemetry.istio.io/Telemetry": ["spec.accessLogging", "spec.metrics"],
  "gateway.networking.k8s.io/Gateway": ["spec.listeners", "spec.infrastructure", "spec.addresses"],
  "gateway.networking.k8s.io/GatewayClass": ["spec.parametersRef"],
  // Of a route the tool reads where it attaches (parentRefs), not what it does.
  "gateway.networking.k8s.io/HTTPRoute": ["spec.rules"],
  "gateway.networking.k8s.io/GRPCRoute": ["spec.rules"],
  "gateway.networking.k8s.io/TCPRoute": ["spec.rules"],
  "gateway.networking.k8s.io/TLSRoute": ["spec.rules"],
  "monitoring.coreos.com/ServiceMonitor": ["spec.endpoints[]"],
  "monitoring.coreos.com/PodMonitor": ["spec.podMetricsEndpoints[]"],
};
const STATUS_READ = ["conditions", "parents", "addresses"];
/** The schema at a dotted path ("spec.subsets[].trafficPolicy") reduced to its type. */
function opaque(schema, path) {
  const steps = path.split(".");
  let node = schema;
  for (const [i, step] of steps.entries()) {
    const name = step.replace(/\[\]$/, "");
    const parent = node;
    node = node.properties?.[name];
    if (!node) throw new Error(`no ${steps.slice(0, i + 1).join(".")} in the schema`);
    if (step.endsWith("[]")) {
      const items = node.items;
      if (i === steps.length - 1) node.items = { type: items.type };
      node = items;
    } else if (i === steps.length - 1) {
      parent.properties[name] = { type: node.type, ...(node.nullable ? { nullable: true } : {}) };
    }
  }
}

for (const file of crdFiles) {
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    const crd = doc.toJS();
    if (crd?.kind !== "CustomResourceDefinition" || !CRD_KINDS.has(crd.spec.names.kind)) continue;
    for (const v of crd.spec.versions) {
      if (!v.served || !v.schema?.openAPIV3Schema) continue;
      const schema = compact(v.schema.openAPIV3Schema);
      // Status is the controllers' to fill: its types are checked, not which fields it has yet.
      const status = schema.properties?.status;
      if (status?.properties) {
        status.properties = Object.fromEntries(
          Object.entries(status.properties).filter(([k]) => STATUS_READ.includes(k)),
        );
        schema.properties.status = withoutRequired(status);
      }
      for (const path of OPAQUE[`${crd.spec.group}/${crd.spec.names.kind}`] ?? []) opaque(schema, path);
      // A CRD's schema leaves metadata to the apiserver: check it as ObjectMeta, as the apiserver does.
      schema.properties = { ...schema.properties, metadata: { $ref: META } };
      // Versions with the same schema share one validator.
      const key = `${crd.spec.group}/${v.name}/${crd.spec.names.kind}`;
      const text = JSON.stringify(schema);
      const same = Object.keys(kinds).find((k) => JSON.stringify(kinds[k]) === text);
      kinds[key] = same ?? schema;
    }
  }
}
// Istio's CRDs repeat large subtrees (a DestinationRule's trafficPolicy sits at the top, in each
// subset and in each portLevelSettings entry): each repeated schema is stored once under
// definitions and referred to, so the file stays small and Ajv compiles each shape once.
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "definitions"]);
const SCHEMA_LISTS = new Set(["oneOf", "anyOf", "allOf"]);
const SCHEMA_ONE = new Set(["items", "additionalProperties", "not"]);
function eachChild(node, visit) {
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (SCHEMA_MAPS.has(key))
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, visit(v)]));
    else if (SCHEMA_LISTS.has(key)) out[key] = value.map(visit);
    else if (SCHEMA_ONE.has(key) && typeof value === "object" && value !== null && !Array.isArray(value))
      out[key] = visit(value);
    else out[key] = value;
  }
  return out;
}
const MIN_SHARED = 300; // characters: smaller schemas are cheaper inline than behind a $ref
const counts = new Map();
const count = (node) => {
  if (typeof node !== "object" || node === null) return node;
  const text = JSON.stringify(node);
  if (text.length >= MIN_SHARED) counts.set(text, (counts.get(text) ?? 0) + 1);
  return eachChild(node, count);
};
for (const schema of Object.values(kinds)) if (typeof schema !== "string") count(schema);
const shared = new Map(); // text -> definition name
const share = (node) => {
  if (typeof node !== "object" || node === null || node.$ref) return node;
  const text = JSON.stringify(node);
  if ((counts.get(text) ?? 0) < 2) return eachChild(node, share);
  let name = shared.get(text);
  if (!name) {
    name = `s${createHash("sha256").update(text).digest("hex").slice(0, 10)}`;
    shared.set(text, name);
    definitions[name] = eachChild(node, share);
  }
  return { $ref: `${REF}${name}` };
};
for (const key of Object.keys(kinds))
  kinds[key] = typeof kinds[key] === "string" || kinds[key].$ref ? kinds[key] : eachChild(kinds[key], share);

const sources = {
  kubernetes: versions.KUBERNETES_VERSION,
  istio: versions.ISTIO_VERSION,
  "gateway-api": `${versions.GATEWAY_API_VERSION} (experimental channel)`,
  "prometheus-operator": versions.PROMETHEUS_OPERATOR_VERSION,
};
const out = join(root, "src/inventory/schemas.json");
const text = JSON.stringify({ sources, kinds, definitions });
writeFileSync(out, `${text}\n`);
console.log(
  `${out}: ${Object.keys(kinds).length} kinds, ${Object.keys(definitions).length} definitions (${shared.size} shared), ${Math.round(text.length / 1024)} KiB`,
);
