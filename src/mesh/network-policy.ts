// Kubernetes NetworkPolicies against what ambient needs: HBONE on TCP 15008 into every captured
// pod and out of every client pod (ztunnel's sockets live in the pod's network namespace), and
// kubelet probes, which istio-cni SNATs to 169.254.7.127 (cni/pkg/nodeagent/options.go
// DefaultHostProbeSNATIP). The CNI enforces NetworkPolicy outside the pod; Istio never bypasses it.

import type { KubeObject } from "../inventory/model.js";
import { MANAGED_BY, MANAGED_BY_LABEL } from "../ownership.js";

const HBONE_PORT = 15008;
export const PROBE_SNAT_IPV4 = "169.254.7.127";
const PROBE_SNAT_IPV6 = "fd16:9254:7127:1337:ffff:ffff:ffff:ffff";

interface PolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}
interface Peer {
  ipBlock?: { cidr?: string; except?: string[] };
  podSelector?: unknown;
  namespaceSelector?: unknown;
}
interface Rule {
  ports?: PolicyPort[];
  from?: Peer[];
  to?: Peer[];
}

interface HboneGaps {
  /** Ingress is restricted and no rule lets TCP 15008 in. */
  ingress: boolean;
  /** Egress is restricted and no rule lets TCP 15008 out. */
  egress: boolean;
  /** Ingress is restricted and no rule lets 169.254.7.127 (rewritten kubelet probes) in. */
  probes: boolean;
}

function types(np: KubeObject): { ingress: boolean; egress: boolean } {
  const listed = np.spec?.policyTypes as string[] | undefined;
  if (Array.isArray(listed))
    return { ingress: listed.includes("Ingress"), egress: listed.includes("Egress") };
  // Without policyTypes: Ingress always, Egress when egress rules are given (NetworkPolicy API).
  return { ingress: true, egress: Array.isArray(np.spec?.egress) };
}

function allowsPort(rules: readonly Rule[], port: number): boolean {
  return rules.some(
    (rule) =>
      !Array.isArray(rule?.ports) ||
      rule.ports.length === 0 ||
      rule.ports.some((p) => {
        if ((p?.protocol ?? "TCP") !== "TCP") return false;
        if (p.port === undefined) return true;
        if (typeof p.port !== "number") return false; // a named port is not 15008
        return p.port === port || (p.endPort !== undefined && p.port <= port && port <= p.endPort);
      }),
  );
}

function ipv4(text: string): number | undefined {
  const parts = text.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + p, 0);
}

/** Whether an IPv4 CIDR holds an address (IPv6 CIDRs: only the exact /128 of the probe address). */
function cidrHolds(cidr: string, address: string): boolean {
  const [base, bitsText] = cidr.split("/");
  if (!base) return false;
  if (base.includes(":")) return base === address;
  const bits = Number(bitsText ?? 32);
  const a = ipv4(base);
  const b = ipv4(address);
  if (a === undefined || b === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(a / size) === Math.floor(b / size);
}

function allowsProbes(rules: readonly Rule[]): boolean {
  return rules.some((rule) => {
    const from = rule?.from;
    if (!Array.isArray(from) || from.length === 0) return true; // any source
    return from.some(
      (peer) =>
        peer?.ipBlock?.cidr !== undefined &&
        cidrHolds(peer.ipBlock.cidr, PROBE_SNAT_IPV4) &&
        !(peer.ipBlock.except ?? []).some((e) => cidrHolds(e, PROBE_SNAT_IPV4)),
    );
  });
}

export function hboneGaps(np: KubeObject): HboneGaps {
  const { ingress, egress } = types(np);
  const ingressRules = (np.spec?.ingress ?? []) as Rule[];
  const egressRules = (np.spec?.egress ?? []) as Rule[];
  return {
    ingress: ingress && !allowsPort(ingressRules, HBONE_PORT),
    egress: egress && !allowsPort(egressRules, HBONE_PORT),
    probes: ingress && !allowsProbes(ingressRules),
  };
}

export function hasGaps(g: HboneGaps): boolean {
  return g.ingress || g.egress || g.probes;
}

/** Whether a NetworkPolicy's podSelector selects pods with these labels (matchExpressions included). */
export function podSelectorMatches(np: KubeObject, labels: Record<string, string>): boolean {
  const selector = (np.spec?.podSelector ?? {}) as {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
  };
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    const value = labels[e.key];
    switch (e.operator) {
      case "In":
        return value !== undefined && (e.values ?? []).includes(value);
      case "NotIn":
        return value === undefined || !(e.values ?? []).includes(value);
      case "Exists":
        return value !== undefined;
      case "DoesNotExist":
        return value === undefined;
      default:
        return false;
    }
  });
  return byLabels && byExpressions;
}

export function hboneAllowName(np: KubeObject): string {
  const name = `${np.metadata.name}-ambient-hbone`;
  return name.length <= 253 ? name : name.slice(0, 253);
}

/**
 * The tool's own NetworkPolicy for the pods `np` selects: adds (NetworkPolicies are additive)
 * what `np` lacks: HBONE in, HBONE out, probes from the SNAT address.
 */
export function hboneAllowPolicy(np: KubeObject, gaps: HboneGaps): KubeObject {
  const ingress: Rule[] = [];
  if (gaps.ingress) ingress.push({ ports: [{ protocol: "TCP", port: HBONE_PORT }] });
  if (gaps.probes)
    ingress.push({
      from: [{ ipBlock: { cidr: `${PROBE_SNAT_IPV4}/32` } }, { ipBlock: { cidr: `${PROBE_SNAT_IPV6}/128` } }],
    });
  const egress: Rule[] = gaps.egress ? [{ ports: [{ protocol: "TCP", port: HBONE_PORT }] }] : [];
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: {
      name: hboneAllowName(np),
      namespace: np.metadata.namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
      annotations: { "ambient-migrate/allows-for": `NetworkPolicy/${np.metadata.name}` },
    },
    spec: {
      podSelector: np.spec?.podSelector ?? {},
      policyTypes: [...(ingress.length > 0 ? ["Ingress"] : []), ...(egress.length > 0 ? ["Egress"] : [])],
      ...(ingress.length > 0 ? { ingress } : {}),
      ...(egress.length > 0 ? { egress } : {}),
    },
  };
}
