// VirtualService -> HTTPRoute for mesh (east-west) traffic, GAMMA style: the parent is the
// Service (or ServiceEntry) the VirtualService's host names. See docs/translation-report.md.

import type { Inventory, KubeObject } from "../inventory/model.js";
import { re2Problem } from "../re2.js";
import { parseDurationMs, toGatewayDuration } from "./durations.js";
import { declaredPorts, type HostTarget, resolveHost } from "./hosts.js";
import {
  emitMatch,
  MATCH_ALL,
  type MatchCond,
  type PathCond,
  quoteMeta,
  type ValueCond,
} from "./http-match.js";
import { translatedMetadata } from "./meta.js";
import { preserveOrder, regexOrder } from "./order.js";
import { hasErrors, type Note, noter, type ReportEntry } from "./report.js";
import { findSubset, subsetServiceName } from "./subsets.js";

const GATEWAY_API = "gateway.networking.k8s.io/v1";
const ISTIO_NET = "networking.istio.io";
const MESH = "mesh";
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]);
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
const MAX_RULES = 16;
/** HTTPRoute backendRefs[].weight maximum. */
const MAX_WEIGHT = 1_000_000;
const MAX_MATCHES_PER_RULE = 64;
const MAX_MATCHES_PER_ROUTE = 128;

export interface VirtualServiceTranslation {
  routes: KubeObject[];
  /** The source can be deleted once the routes apply (step 5). */
  replaced: boolean;
  /** Namespaces whose Services or ServiceEntries the routes attach to: they need a waypoint. */
  waypointNamespaces: string[];
}

// biome-ignore lint/suspicious/noExplicitAny: raw VirtualService JSON
type Raw = any;

interface RuleDraft {
  index: number;
  conds: { cond: MatchCond; port: number | undefined }[];
  action: Record<string, unknown>;
}

export function translateVirtualService(
  inventory: Inventory,
  vs: KubeObject,
  report: ReportEntry[],
): VirtualServiceTranslation {
  const note = noter(report, vs);
  const firstEntry = report.length;
  const namespace = vs.metadata.namespace ?? "default";
  const spec: Raw = vs.spec ?? {};
  const none: VirtualServiceTranslation = { routes: [], replaced: false, waypointNamespaces: [] };
  const gateways: string[] = spec.gateways ?? [];
  if (gateways.length > 0 && !gateways.includes(MESH)) {
    note(
      "info",
      "spec.gateways",
      `bound to ingress gateway(s) ${gateways.join(", ")} only: out of scope, left as is`,
    );
    return none;
  }
  const otherGateways = gateways.filter((g) => g !== MESH);
  if (otherGateways.length > 0) {
    note(
      "warning",
      "spec.gateways",
      `also bound to ${otherGateways.join(", ")}: keep the VirtualService for them and remove "mesh" from its gateways after migrating`,
    );
  }
  if ((spec.tcp ?? []).length > 0)
    note("error", "spec.tcp", "tcp routes are not translated (TCPRoute): route them by hand");
  if ((spec.tls ?? []).length > 0)
    note("error", "spec.tls", "tls routes are not translated (TLSRoute): route them by hand");
  if ((spec.exportTo ?? []).length > 0) {
    note(
      "warning",
      "spec.exportTo",
      "exportTo has no equivalent: a route in the Service's namespace serves every client; one in another namespace only that namespace's clients",
    );
  }
  const parents = parentTargets(inventory, spec.hosts ?? [], namespace, note);
  if (parents.length === 0) {
    note("error", "spec.hosts", "no host resolves to a Service or ServiceEntry: nothing translated");
    return none;
  }
  const drafts: RuleDraft[] = [];
  let meshRules = 0;
  (spec.http ?? []).forEach((rule: Raw, k: number) => {
    const notForMesh = gatewayOnlyMatches(rule, `spec.http[${k}]`, note);
    if (notForMesh.size > 0 && notForMesh.size === (rule?.match ?? []).length) return;
    meshRules++;
    const draft = translateRule(inventory, rule, k, namespace, note, notForMesh);
    if (draft) drafts.push(draft);
  });
  if (drafts.length === 0) {
    note(
      "error",
      "spec.http",
      meshRules === 0
        ? "no http rule applies to mesh traffic (every match is limited to other gateways): nothing to translate"
        : "no http rule could be translated",
    );
    return none;
  }
  const ports = [
    ...new Set(drafts.flatMap((d) => d.conds.map((c) => c.port)).filter((p) => p !== undefined)),
  ].sort((a, b) => a - b);
  if (ports.length > 0 && drafts.some((d) => d.conds.some((c) => c.port === undefined))) {
    note(
      "warning",
      "spec.http[].match[].port",
      `rules without a port are copied into the route of each matched port (${ports.join(", ")}); requests on other ports get the Service's default routing`,
    );
  }
  const groups: (number | undefined)[] = ports.length > 0 ? ports : [undefined];
  const routes: KubeObject[] = [];
  const chunksPerGroup = groups.map((port) => orderedRules(drafts, port, note));
  groups.forEach((port, g) => {
    const chunks = chunksPerGroup[g] ?? [];
    chunks.forEach((rules, c) => {
      let name = vs.metadata.name;
      if (ports.length > 0 && groups.length > 1) name += `-${port}`;
      if (chunks.length > 1) name += `-${String(c).padStart(2, "0")}`;
      routes.push({
        apiVersion: GATEWAY_API,
        kind: "HTTPRoute",
        metadata: translatedMetadata(name, namespace, vs),
        spec: { parentRefs: parents.map((p) => parentRef(p, namespace, port)), rules },
      });
    });
  });
  if (chunksPerGroup.some((chunks) => chunks.length > 1)) {
    note(
      "info",
      "spec.http",
      `more than ${MAX_RULES} rules or ${MAX_MATCHES_PER_ROUTE} matches: split into ${routes.length} HTTPRoutes named in rule order; apply them in the order given, so that ties resolve by creation time then name as the VirtualService order says`,
    );
  }
  // A route without rules would take the Service's traffic to nowhere: never a replacement.
  if (routes.length === 0 || routes.some((r) => (r.spec?.rules ?? []).length === 0)) {
    note("error", "spec.http", "the translation produced no routing rule: nothing translated");
    return none;
  }
  note("info", "spec.http", `translated to HTTPRoute ${routes.map((r) => r.metadata.name).join(", ")}`);
  const waypointNamespaces = [...new Set(parents.map((p) => p.namespace))];
  return {
    routes,
    replaced: !hasErrors(report.slice(firstEntry)),
    waypointNamespaces,
  };
}

type Parent = Exclude<HostTarget, { kind: "unresolved" }>;

function parentTargets(inventory: Inventory, hosts: string[], namespace: string, note: Note): Parent[] {
  const out: Parent[] = [];
  hosts.forEach((host, i) => {
    const target = resolveHost(inventory, host, namespace);
    if (target.kind === "unresolved") {
      note("error", `spec.hosts[${i}]`, `host ${host}: ${target.reason}; not translated`);
      return;
    }
    if (target.kind === "Service" && !target.service) {
      note(
        "warning",
        `spec.hosts[${i}]`,
        `Service ${target.namespace}/${target.name} is not in the input: parentRef written anyway`,
      );
    }
    if (target.namespace !== namespace) {
      note(
        "info",
        `spec.hosts[${i}]`,
        `${host} is in namespace ${target.namespace}: the HTTPRoute in ${namespace} is a consumer route (only clients in ${namespace} use it)`,
      );
    }
    const what =
      target.kind === "Service"
        ? `Service ${target.namespace}/${target.name}`
        : `ServiceEntry ${target.namespace}/${target.entry.metadata.name}`;
    note("info", `spec.hosts[${i}]`, `${host} -> parentRef ${what}`);
    const key = (p: Parent) =>
      `${p.kind}/${p.namespace}/${p.kind === "Service" ? p.name : p.entry.metadata.name}`;
    if (!out.some((p) => key(p) === key(target))) out.push(target);
  });
  return out;
}

function parentRef(
  parent: Parent,
  routeNamespace: string,
  port: number | undefined,
): Record<string, unknown> {
  const ref: Record<string, unknown> =
    parent.kind === "Service"
      ? { group: "", kind: "Service", name: parent.name }
      : { group: ISTIO_NET, kind: "ServiceEntry", name: parent.entry.metadata.name };
  if (parent.namespace !== routeNamespace) ref.namespace = parent.namespace;
  if (port !== undefined) ref.port = port;
  return ref;
}

/** The HTTPRoute rules for one port (undefined: all ports), split in chunks one HTTPRoute can hold. */
function orderedRules(
  drafts: RuleDraft[],
  port: number | undefined,
  note: Note,
): Record<string, unknown>[][] {
  const relevant = drafts
    .map((d) => ({
      draft: d,
      matches: d.conds
        .filter((c) => port === undefined || c.port === undefined || c.port === port)
        .map((c) => c.cond),
    }))
    .filter((r) => r.matches.length > 0);
  const ordered = relevant.map((r) => ({ matches: r.matches, actionKey: JSON.stringify(r.draft.action) }));
  let result = preserveOrder(ordered);
  const at = (i: number) => `spec.http[${relevant[i]?.draft.index}]`;
  if (result.conflicts.length > 0) {
    // Intersections cannot keep the order: encode every match as a regex, longest first.
    const reachable = ordered.map((rule, r) =>
      rule.matches.filter((_, m) => !result.unreachable.some((u) => u.rule === r && u.match === m)),
    );
    const encoded = preserveOrder(
      regexOrder(reachable).map((matches, r) => ({ matches, actionKey: ordered[r]?.actionKey ?? "" })),
    );
    if (encoded.conflicts.length === 0 && encoded.added.length === 0) {
      const inversions = result.conflicts.map(
        (c) => `${relevant[c.earlier]?.draft.index}/${relevant[c.later]?.draft.index}`,
      );
      note(
        "info",
        "spec.http",
        `Gateway API precedence would rank some later rules first (rules ${[...new Set(inversions)].join(", ")}, earlier/later), and no added match can prevent it: every match is written as a RegularExpression path, each rule's longer than every later rule's (lengthened with empty groups "(?:)", which match nothing more), because istiod ranks regex paths by length first; the HTTPRoute then tries the rules in the VirtualService's order`,
      );
      result = { ...encoded, unreachable: result.unreachable };
    }
  }
  for (const u of result.unreachable) {
    note(
      "info",
      `${at(u.rule)}.match[${u.match}]`,
      `never reached in the VirtualService (rule ${relevant[u.shadowedBy]?.draft.index} takes every request it matches): left out`,
    );
  }
  for (const a of result.added) {
    note(
      "info",
      at(a.rule),
      `added match ${JSON.stringify(emitMatch(a.match))} so that this rule keeps precedence over rule ${relevant[a.because]?.draft.index}, as in the VirtualService's first-match order`,
    );
  }
  for (const c of result.conflicts) {
    note(
      "error",
      at(c.later),
      `HTTPRoute precedence ranks ${JSON.stringify(emitMatch(c.laterMatch))} above the earlier rule ${relevant[c.earlier]?.draft.index}'s ${JSON.stringify(emitMatch(c.earlierMatch))}: requests both match go to this rule, unlike the VirtualService; reorder or narrow the matches by hand`,
    );
  }
  const rules: Record<string, unknown>[] = [];
  relevant.forEach((r, i) => {
    const matches = result.matches[i] ?? [];
    if (matches.length === 0) return;
    for (let s = 0; s < matches.length; s += MAX_MATCHES_PER_RULE) {
      rules.push({ matches: matches.slice(s, s + MAX_MATCHES_PER_RULE).map(emitMatch), ...r.draft.action });
    }
  });
  const chunks: Record<string, unknown>[][] = [[]];
  let count = 0;
  for (const rule of rules) {
    const n = (rule.matches as unknown[]).length;
    const current = chunks[chunks.length - 1] as Record<string, unknown>[];
    if (current.length === MAX_RULES || count + n > MAX_MATCHES_PER_ROUTE) {
      chunks.push([rule]);
      count = n;
    } else {
      current.push(rule);
      count += n;
    }
  }
  return chunks.filter((c) => c.length > 0);
}

const HANDLED_RULE_FIELDS = new Set([
  "name",
  "match",
  "route",
  "redirect",
  "directResponse",
  "delegate",
  "rewrite",
  "timeout",
  "retries",
  "fault",
  "mirror",
  "mirrors",
  "mirrorPercent",
  "mirrorPercentage",
  "mirror_percent",
  "corsPolicy",
  "headers",
]);

function translateRule(
  inventory: Inventory,
  rule: Raw,
  k: number,
  namespace: string,
  note: Note,
  notForMesh: ReadonlySet<number>,
): RuleDraft | undefined {
  const at = `spec.http[${k}]`;
  for (const field of Object.keys(rule ?? {})) {
    if (!HANDLED_RULE_FIELDS.has(field))
      note("warning", `${at}.${field}`, "field not known to the translator: not carried over");
  }
  if (rule.delegate) {
    note(
      "error",
      `${at}.delegate`,
      "delegation has no HTTPRoute equivalent: translate the delegate VirtualService's rules into this route by hand; rule left out",
    );
    return undefined;
  }
  if (rule.directResponse) {
    note(
      "error",
      `${at}.directResponse`,
      `direct responses (status ${rule.directResponse.status}) have no HTTPRoute equivalent; rule left out, so its requests fall through to later rules`,
    );
    return undefined;
  }
  if (rule.name)
    note("info", `${at}.name`, "rule name not carried over (only used in Istio's stats and logs)");
  if (rule.fault) {
    note(
      "error",
      `${at}.fault`,
      "fault injection (delay/abort) has no Gateway API or waypoint HTTPRoute equivalent: the rule is translated without it",
    );
  }
  const conds: RuleDraft["conds"] = [];
  const matches: Raw[] = rule.match ?? [];
  matches.forEach((m, i) => {
    if (notForMesh.has(i)) return;
    const cond = matchCondition(m, `${at}.match[${i}]`, note);
    if (!cond) return;
    if (m.port === undefined) conds.push({ cond, port: undefined });
    else if (validPort(m.port)) {
      conds.push({ cond, port: m.port });
      note("info", `${at}.match[${i}].port`, `parentRef port ${m.port}`);
    } else {
      note(
        "error",
        `${at}.match[${i}].port`,
        `port ${JSON.stringify(m.port)} is not a port number (1-65535): match left out`,
      );
    }
  });
  if (matches.length === 0) conds.push({ cond: MATCH_ALL, port: undefined });
  if (conds.length === 0) {
    note("error", `${at}.match`, "no match could be translated; rule left out");
    return undefined;
  }
  const action: Record<string, unknown> = {};
  const filters: Record<string, unknown>[] = [];
  const headerFilters = headerModifiers(rule.headers, `${at}.headers`, note);
  filters.push(...headerFilters);
  if (rule.rewrite) {
    const rewrite = urlRewrite(rule.rewrite, conds, `${at}.rewrite`, note);
    if (rewrite) filters.push(rewrite);
  }
  if (rule.redirect) {
    const redirect = requestRedirect(rule.redirect, `${at}.redirect`, note);
    if (redirect) filters.push(redirect);
  }
  filters.push(...mirrorFilters(inventory, rule, namespace, at, note));
  if (rule.corsPolicy) filters.push(corsFilter(rule.corsPolicy, `${at}.corsPolicy`, note));
  if (filters.length > 0) action.filters = filters;
  if (!rule.redirect) {
    const port = singlePort(conds);
    const backendRefs = backends(inventory, rule.route ?? [], namespace, port, at, note);
    if (backendRefs.length === 0) {
      note("error", `${at}.route`, "no destination could be translated; rule left out");
      return undefined;
    }
    action.backendRefs = backendRefs;
  } else if ((rule.route ?? []).length > 0) {
    note(
      "warning",
      `${at}.route`,
      "route next to redirect: Istio redirects, so the destinations are left out",
    );
  }
  const timeouts: Record<string, string> = {};
  const timeoutMs = parseDurationMs(rule.timeout);
  if (rule.timeout !== undefined) {
    const request = duration(rule.timeout, `${at}.timeout`, note);
    if (request !== undefined) {
      timeouts.request = request;
      note("info", `${at}.timeout`, `timeouts.request: ${timeouts.request}`);
    }
  }
  if (rule.retries) {
    const retry = retryPolicy(rule.retries, `${at}.retries`, note);
    if (retry.retry) action.retry = retry.retry;
    if (retry.perTryMs !== undefined) {
      if (timeoutMs !== undefined && timeoutMs > 0 && retry.perTryMs > timeoutMs) {
        note(
          "warning",
          `${at}.retries.perTryTimeout`,
          "longer than the rule's timeout, which Gateway API forbids: left out (the overall timeout caps each try anyway)",
        );
      } else {
        const perTry = duration(rule.retries.perTryTimeout, `${at}.retries.perTryTimeout`, note);
        if (perTry !== undefined) timeouts.backendRequest = perTry;
      }
    }
  }
  if (Object.keys(timeouts).length > 0) action.timeouts = timeouts;
  return { index: k, conds, action };
}

/**
 * Indexes of the rule's matches that never apply to mesh traffic: a match's own `gateways`
 * override the VirtualService's (Istio), so one naming only other gateways is left out.
 */
function gatewayOnlyMatches(rule: Raw, at: string, note: Note): Set<number> {
  const out = new Set<number>();
  ((rule?.match ?? []) as Raw[]).forEach((m, i) => {
    const gateways: string[] | undefined = m?.gateways;
    if (gateways === undefined || gateways.length === 0 || gateways.includes(MESH)) return;
    out.add(i);
    note(
      "info",
      `${at}.match[${i}].gateways`,
      `only for gateway(s) ${gateways.join(", ")}, not mesh traffic: left out of the HTTPRoute (the VirtualService keeps serving them)`,
    );
  });
  return out;
}

function validPort(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535;
}

/** A Gateway API duration for an Istio one; an error entry when it cannot be read or written. */
function duration(value: unknown, at: string, note: Note): string | undefined {
  const ms = parseDurationMs(value);
  if (ms === undefined) {
    note("error", at, `cannot read duration ${JSON.stringify(value)}`);
    return undefined;
  }
  const out = toGatewayDuration(ms);
  if (out === undefined)
    note(
      "error",
      at,
      `duration ${JSON.stringify(value)} is longer than Gateway API can write (99999h59m59s999ms)`,
    );
  return out;
}

function singlePort(conds: RuleDraft["conds"]): number | undefined {
  const ports = new Set(conds.map((c) => c.port));
  return ports.size === 1 ? [...ports][0] : undefined;
}

// biome-ignore lint/suspicious/noExplicitAny: raw StringMatch
function stringMatchKind(m: any): { kind: "exact" | "prefix" | "regex" | "present"; value: string } {
  if (m?.exact !== undefined) return { kind: "exact", value: String(m.exact) };
  if (m?.prefix !== undefined) return { kind: "prefix", value: String(m.prefix) };
  if (m?.regex !== undefined) return { kind: "regex", value: String(m.regex) };
  return { kind: "present", value: "" };
}

/** Condition of one VirtualService match; undefined when it cannot be expressed at all. */
function matchCondition(m: Raw, at: string, note: Note): MatchCond | undefined {
  let path: PathCond = MATCH_ALL.path;
  if (m.uri) {
    const uri = stringMatchKind(m.uri);
    const ignoreCase = m.ignoreUriCase === true && uri.kind !== "regex";
    if (uri.kind === "present") path = MATCH_ALL.path;
    else {
      path = {
        kind: uri.kind === "prefix" ? "rawPrefix" : uri.kind,
        value: uri.value,
        ...(ignoreCase ? { ignoreCase } : {}),
      };
    }
    const emitted = emitMatch({ path, headers: [], query: [] }).path;
    if (uri.kind === "prefix" && emitted.type === "RegularExpression") {
      note(
        "info",
        `${at}.uri.prefix`,
        `prefix ${uri.value} matches raw string prefixes (also ${uri.value}x...), PathPrefix matches whole segments only: written as RegularExpression ${emitted.value}`,
      );
    } else if (m.ignoreUriCase && emitted.type === "RegularExpression") {
      note(
        "info",
        `${at}.ignoreUriCase`,
        `case-insensitive match written as RegularExpression ${emitted.value}`,
      );
    }
  }
  let method: string | undefined;
  if (m.method) {
    const mm = stringMatchKind(m.method);
    if (mm.kind === "exact" && METHODS.has(mm.value)) method = mm.value;
    else if (mm.kind === "regex" && mm.value.split("|").every((x) => METHODS.has(x))) {
      note(
        "error",
        `${at}.method`,
        `method regex ${mm.value}: Gateway API matches one method per match; write one match per method (the VirtualService match was left out)`,
      );
      return undefined;
    } else {
      note(
        "error",
        `${at}.method`,
        `method ${JSON.stringify(m.method)} cannot be matched by HTTPRoute (exact standard methods only); match left out`,
      );
      return undefined;
    }
  }
  const headers = valueConds(m.headers, `${at}.headers`, note, true);
  const query = valueConds(m.queryParams, `${at}.queryParams`, note, false);
  if (!headers || !query) return undefined;
  // Envoy and istiod read regexes with RE2: one it rejects cannot be carried over.
  const regexes: [string, string][] = [
    ...(path.kind === "regex" ? [[`${at}.uri.regex`, path.value] as [string, string]] : []),
    ...headers
      .filter((h) => h.kind === "regex")
      .map((h): [string, string] => [`${at}.headers.${h.name}`, h.value]),
    ...query
      .filter((q) => q.kind === "regex")
      .map((q): [string, string] => [`${at}.queryParams.${q.name}`, q.value]),
  ];
  for (const [field, pattern] of regexes) {
    const problem = re2Problem(pattern);
    if (problem !== undefined) {
      note(
        "error",
        field,
        `regex ${JSON.stringify(pattern)} is not RE2 (${problem}), which Envoy requires: match left out`,
      );
      return undefined;
    }
  }
  const lost: [string, string, "error" | "warning" | "info"][] = [
    [
      "sourceLabels",
      "no equivalent in ambient (ztunnel and waypoints do not route by client labels)",
      "error",
    ],
    [
      "sourceNamespace",
      "no equivalent; an HTTPRoute in the client's namespace (consumer route) is the closest",
      "error",
    ],
    ["withoutHeaders", "no equivalent (Gateway API has no negative header match)", "error"],
    ["scheme", "no equivalent", "error"],
    ["authority", "no equivalent for mesh routes (hostnames are not matched for Service parents)", "error"],
    ["statPrefix", "not carried over", "info"],
    ["name", "not carried over", "info"],
  ];
  for (const [field, why, level] of lost) {
    if (m[field] !== undefined) {
      note(level, `${at}.${field}`, why);
      if (level === "error") return undefined;
    }
  }
  return { path, ...(method ? { method } : {}), headers, query };
}

function valueConds(map: Raw, at: string, note: Note, isHeader: boolean): ValueCond[] | undefined {
  const out: ValueCond[] = [];
  for (const [rawName, value] of Object.entries(map ?? {})) {
    if (isHeader && rawName.startsWith(":")) {
      note("error", `${at}.${rawName}`, "pseudo-headers cannot be matched by HTTPRoute; match left out");
      return undefined;
    }
    const name = isHeader ? rawName.toLowerCase() : rawName;
    const m = stringMatchKind(value);
    if (m.kind === "exact") out.push({ name, kind: "exact", value: m.value });
    else if (m.kind === "regex") out.push({ name, kind: "regex", value: m.value });
    else if (m.kind === "prefix") {
      out.push({ name, kind: "regex", value: `${quoteMeta(m.value)}.*` });
      note("info", `${at}.${rawName}.prefix`, `written as RegularExpression ${quoteMeta(m.value)}.*`);
    } else {
      out.push({ name, kind: "regex", value: ".*" });
      note("info", `${at}.${rawName}`, "presence match written as RegularExpression .*");
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function headerModifiers(headers: Raw, at: string, note: Note): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const [side, type, key] of [
    ["request", "RequestHeaderModifier", "requestHeaderModifier"],
    ["response", "ResponseHeaderModifier", "responseHeaderModifier"],
  ] as const) {
    const ops = headers?.[side];
    if (!ops) continue;
    const modifier: Record<string, unknown> = {};
    const pairs = (m: Record<string, string> | undefined) =>
      Object.entries(m ?? {}).map(([name, value]) => ({ name, value: String(value) }));
    if (ops.set) modifier.set = pairs(ops.set);
    if (ops.add) modifier.add = pairs(ops.add);
    if (ops.remove) modifier.remove = [...ops.remove];
    out.push({ type, [key]: modifier });
    note("info", `${at}.${side}`, `${type} filter`);
  }
  return out;
}

function urlRewrite(
  rewrite: Raw,
  conds: RuleDraft["conds"],
  at: string,
  note: Note,
): Record<string, unknown> | undefined {
  const filter: Record<string, unknown> = {};
  if (rewrite.authority) filter.hostname = rewrite.authority;
  if (rewrite.uriRegexRewrite)
    note("error", `${at}.uriRegexRewrite`, "regex rewrites have no HTTPRoute equivalent; left out");
  if (rewrite.uri !== undefined) {
    const kinds = new Set(conds.map((c) => c.cond.path.kind));
    const only = conds.length === 1 ? conds[0] : undefined;
    if (only && only.cond.path.kind === "rawPrefix") {
      const prefix = only.cond.path.value || "/";
      if (prefix !== "/") {
        note(
          "warning",
          `${at}.uri`,
          `a prefix rewrite needs a PathPrefix match: prefix ${prefix} now matches whole path segments only (not ${prefix}x...)`,
        );
      } else {
        note(
          "warning",
          `${at}.uri`,
          `rewriting the prefix / keeps a '/' after ${rewrite.uri} in Gateway API (Istio would write ${rewrite.uri}<rest>)`,
        );
      }
      only.cond = { ...only.cond, path: { kind: "segmentPrefix", value: prefix } };
      filter.path = { type: "ReplacePrefixMatch", replacePrefixMatch: rewrite.uri };
    } else if (kinds.size === 1 && kinds.has("exact")) {
      filter.path = { type: "ReplaceFullPath", replaceFullPath: rewrite.uri };
    } else {
      note(
        "error",
        `${at}.uri`,
        "path rewrite of a rule with several matches or a regex match cannot be expressed (ReplacePrefixMatch needs exactly one PathPrefix match); left out",
      );
    }
  }
  if (Object.keys(filter).length === 0) return undefined;
  note("info", at, "URLRewrite filter");
  return { type: "URLRewrite", urlRewrite: filter };
}

function requestRedirect(redirect: Raw, at: string, note: Note): Record<string, unknown> | undefined {
  const filter: Record<string, unknown> = {};
  if (redirect.uri) filter.path = { type: "ReplaceFullPath", replaceFullPath: redirect.uri };
  if (redirect.authority) filter.hostname = redirect.authority;
  if (redirect.scheme) filter.scheme = redirect.scheme;
  if (redirect.port !== undefined) {
    if (validPort(redirect.port)) filter.port = redirect.port;
    else
      note(
        "error",
        `${at}.port`,
        `${JSON.stringify(redirect.port)} is not a port number (1-65535); left out`,
      );
  }
  if (redirect.derivePort)
    note(
      "warning",
      `${at}.derivePort`,
      "derivePort has no equivalent: the redirect keeps the scheme's default port",
    );
  if (redirect.prefixRewrite !== undefined) {
    note(
      "error",
      `${at}.prefixRewrite`,
      "prefix rewrite on redirect needs exactly one PathPrefix match; left out",
    );
  }
  const code = Number(redirect.redirectCode ?? 301);
  if (!REDIRECT_CODES.has(code)) {
    note(
      "error",
      `${at}.redirectCode`,
      `status ${code} is not one Gateway API allows (301, 302, 303, 307, 308); 301 used`,
    );
    filter.statusCode = 301;
  } else filter.statusCode = code;
  note("info", at, "RequestRedirect filter");
  return { type: "RequestRedirect", requestRedirect: filter };
}

function mirrorFilters(
  inventory: Inventory,
  rule: Raw,
  namespace: string,
  at: string,
  note: Note,
): Record<string, unknown>[] {
  const mirrors: { destination: Raw; percentage: number | undefined; field: string }[] = [];
  if (rule.mirror) {
    const legacy = rule.mirrorPercent ?? rule.mirror_percent;
    const pct = rule.mirrorPercentage?.value ?? (legacy === undefined ? undefined : Number(legacy));
    mirrors.push({ destination: rule.mirror, percentage: pct, field: `${at}.mirror` });
  }
  (rule.mirrors ?? []).forEach((m: Raw, i: number) => {
    mirrors.push({
      destination: m.destination,
      percentage: m.percentage?.value,
      field: `${at}.mirrors[${i}]`,
    });
  });
  const out: Record<string, unknown>[] = [];
  for (const m of mirrors) {
    const ref = backendRef(inventory, m.destination, namespace, undefined, m.field, note);
    if (!ref) continue;
    const mirror: Record<string, unknown> = { backendRef: ref };
    if (
      m.percentage !== undefined &&
      !(typeof m.percentage === "number" && m.percentage >= 0 && m.percentage <= 100)
    ) {
      note(
        "error",
        `${m.field}`,
        `mirror percentage ${JSON.stringify(m.percentage)} is not from 0 to 100; mirror left out`,
      );
      continue;
    }
    if (m.percentage !== undefined && m.percentage < 100) {
      if (Number.isInteger(m.percentage)) mirror.percent = m.percentage;
      else mirror.fraction = { numerator: Math.round(m.percentage * 10_000), denominator: 1_000_000 };
    }
    note(
      "info",
      m.field,
      `RequestMirror filter${m.percentage === undefined ? " (100%)" : ` (${m.percentage}%)`}`,
    );
    out.push({ type: "RequestMirror", requestMirror: mirror });
  }
  return out;
}

function corsFilter(cors: Raw, at: string, note: Note): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  const origins: string[] = [];
  const originPattern =
    /(^\*$)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$)/;
  const all = [...(cors.allowOrigin ?? []).map((o: string) => ({ exact: o })), ...(cors.allowOrigins ?? [])];
  for (const o of all) {
    const m = stringMatchKind(o);
    if (m.kind === "exact" && originPattern.test(m.value)) origins.push(m.value);
    else if (m.kind === "regex" && m.value === ".*") origins.push("*");
    else
      note(
        "warning",
        `${at}.allowOrigins`,
        `origin ${JSON.stringify(o)} cannot be written as a Gateway API origin (scheme://host[:port], * wildcards only); left out`,
      );
  }
  if (origins.length > 0) filter.allowOrigins = origins.includes("*") ? ["*"] : origins;
  if (cors.allowMethods) filter.allowMethods = [...cors.allowMethods];
  if (cors.allowHeaders) filter.allowHeaders = [...cors.allowHeaders];
  if (cors.exposeHeaders) filter.exposeHeaders = [...cors.exposeHeaders];
  if (cors.allowCredentials !== undefined) filter.allowCredentials = cors.allowCredentials === true;
  const maxAge = parseDurationMs(cors.maxAge);
  if (maxAge !== undefined) filter.maxAge = Math.min(2_147_483_647, Math.max(1, Math.round(maxAge / 1000)));
  if (cors.unmatchedPreflights) note("warning", `${at}.unmatchedPreflights`, "no equivalent; left out");
  note("info", at, "CORS filter");
  return { type: "CORS", cors: filter };
}

function retryPolicy(
  retries: Raw,
  at: string,
  note: Note,
): { retry?: Record<string, unknown>; perTryMs?: number } {
  const attempts = retries.attempts ?? 2;
  if (attempts === 0) {
    // istiod gives an HTTPRoute without retry its default retries: "none" cannot be written.
    note(
      "error",
      `${at}.attempts`,
      "attempts: 0 (no retries) has no Gateway API equivalent: HTTPRoute retry.attempts is at least 1, and without it istiod's default retries apply",
    );
    return {};
  }
  if (!Number.isInteger(attempts) || attempts < 0 || attempts > 2_147_483_647) {
    note("error", `${at}.attempts`, `attempts ${JSON.stringify(attempts)} is not a count of retries`);
    return {};
  }
  const retry: Record<string, unknown> = { attempts };
  const codes: number[] = [];
  const lost: string[] = [];
  for (const cond of String(retries.retryOn ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (/^[45]\d\d$/.test(cond)) codes.push(Number(cond));
    else if (
      !["connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes"].includes(
        cond,
      )
    )
      lost.push(cond);
  }
  if (codes.length > 0) retry.codes = codes;
  if (lost.length > 0) {
    note(
      "warning",
      `${at}.retryOn`,
      `retry conditions ${lost.join(", ")} have no equivalent (Gateway API retries on status codes, and istiod adds connect-failure, refused-stream, unavailable, cancelled)`,
    );
  }
  if (retries.backoff !== undefined) {
    const backoff = duration(retries.backoff, `${at}.backoff`, note);
    if (backoff !== undefined) retry.backoff = backoff;
  }
  for (const field of ["retryRemoteLocalities", "retryIgnorePreviousHosts"]) {
    if (retries[field] !== undefined) note("warning", `${at}.${field}`, "no equivalent; left out");
  }
  note("info", at, "retry (Gateway API experimental channel)");
  const perTryMs = parseDurationMs(retries.perTryTimeout);
  return { retry, ...(perTryMs !== undefined ? { perTryMs } : {}) };
}

function backends(
  inventory: Inventory,
  route: Raw[],
  namespace: string,
  port: number | undefined,
  at: string,
  note: Note,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  route.forEach((d, i) => {
    const ref = backendRef(inventory, d.destination, namespace, port, `${at}.route[${i}]`, note);
    if (!ref) return;
    // A single destination takes all traffic whatever its weight says; weight 0 would send none.
    const weight = d?.weight ?? 0;
    if (route.length > 1 && !(Number.isInteger(weight) && weight >= 0 && weight <= MAX_WEIGHT)) {
      note(
        "error",
        `${at}.route[${i}].weight`,
        `weight ${JSON.stringify(weight)} is not a whole number from 0 to ${MAX_WEIGHT}: destination left out`,
      );
      return;
    }
    ref.weight = route.length === 1 ? 100 : weight;
    const filters = headerModifiers(d.headers, `${at}.route[${i}].headers`, note);
    if (filters.length > 0) ref.filters = filters;
    out.push(ref);
    const why = route.length === 1 && d.weight !== 100 ? " (a single destination takes all traffic)" : "";
    note(
      "info",
      `${at}.route[${i}]`,
      `backendRef ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}:${ref.port} weight ${ref.weight}${why}`,
    );
  });
  if (out.length > 1 && out.every((r) => r.weight === 0)) {
    note("error", `${at}.route`, "every destination has weight 0: the route would answer 500");
  }
  return out;
}

function backendRef(
  inventory: Inventory,
  destination: Raw,
  namespace: string,
  matchPort: number | undefined,
  at: string,
  note: Note,
): Record<string, unknown> | undefined {
  const target = resolveHost(inventory, String(destination?.host ?? ""), namespace);
  if (target.kind === "unresolved") {
    note("error", `${at}.destination.host`, `${destination?.host}: ${target.reason}; destination left out`);
    return undefined;
  }
  let port: number | undefined = destination.port?.number;
  if (port !== undefined && !validPort(port)) {
    note(
      "error",
      `${at}.destination.port.number`,
      `${JSON.stringify(port)} is not a port number (1-65535); destination left out`,
    );
    return undefined;
  }
  if (port === undefined) {
    const declared = declaredPorts(target);
    port = matchPort ?? (declared.length === 1 ? declared[0] : undefined);
    if (port === undefined) {
      note(
        "error",
        `${at}.destination.port`,
        `${destination.host} has ${declared.length === 0 ? "no known" : "several"} ports and the destination names none: Gateway API needs a port; destination left out`,
      );
      return undefined;
    }
  }
  if (target.kind === "ServiceEntry") {
    if (destination.subset)
      note(
        "error",
        `${at}.destination.subset`,
        "subsets of ServiceEntry hosts are not translated; subset ignored",
      );
    return { group: ISTIO_NET, kind: "Hostname", name: target.host, port };
  }
  let name = target.name;
  if (destination.subset) {
    const subset = String(destination.subset);
    if (!findSubset(inventory, target.name, target.namespace, subset)) {
      note(
        "error",
        `${at}.destination.subset`,
        `no DestinationRule in the input defines subset ${subset} of ${target.name}.${target.namespace}`,
      );
    }
    name = subsetServiceName(target.name, subset);
    note("info", `${at}.destination.subset`, `subset ${subset} -> Service ${name}`);
  }
  const ref: Record<string, unknown> = { name, port };
  if (target.namespace !== namespace) ref.namespace = target.namespace;
  return ref;
}
