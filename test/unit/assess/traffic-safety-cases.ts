// Inputs for the cross-namespace traffic checks, shared by the per-code test (checks.test.ts)
// and the detailed tests (traffic-safety.test.ts). Objects without a namespace land in "app".

import { namespaceYaml } from "./helpers.js";

export const APP_NS = namespaceYaml("app", { "istio-injection": "enabled" });
export const CLIENT_NS = namespaceYaml("client", { "istio.io/rev": "1-27" });

export const deployment = (name: string, namespace = "app", sa = "default") => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      serviceAccountName: ${sa}
      containers:
      - name: app
        image: example/app:1
---
`;

export const service = (name: string, extra = "", namespace = "app") => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
${extra}  selector:
    app: ${name}
  ports:
  - port: 8080
---
`;

/** An L7 policy: the namespace gets a waypoint. */
export const L7_POLICY = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: get-only
  namespace: app
spec:
  selector:
    matchLabels:
      app: web
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/client/sa/curl"]
    to:
    - operation:
        methods: [GET]
---
`;

export const INGRESS_VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: public
  namespace: app
spec:
  hosts: ["web.example.com"]
  gateways: ["istio-system/public"]
  http:
  - route:
    - destination:
        host: web
---
`;

export const BLOCKING_NP = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-only-8080
  namespace: app
spec:
  podSelector:
    matchLabels:
      app: web
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - podSelector: {}
    ports:
    - port: 8080
  egress:
  - ports:
    - port: 53
      protocol: UDP
---
`;

export const STRICT_WITH_PERMISSIVE_PORT = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: webhook-port
  namespace: app
spec:
  selector:
    matchLabels:
      app: web
  mtls:
    mode: STRICT
  portLevelMtls:
    "9443":
      mode: PERMISSIVE
---
`;

export const NARROW_SERVICE_ENTRY = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: payments-api
  namespace: app
spec:
  hosts: ["api.payments.example"]
  exportTo: ["."]
  location: MESH_EXTERNAL
  resolution: DNS
  ports:
  - number: 443
    name: tls
    protocol: TLS
---
`;

export const TRAFFIC_SAFETY_CASES = {
  "ingress-bypasses-waypoint": {
    yaml: APP_NS + deployment("web") + service("web") + L7_POLICY + INGRESS_VS,
    phrase: "Service web is a backend of VirtualService app/public on Gateway istio-system/public",
  },
  "network-policy-blocks-hbone": {
    yaml: APP_NS + deployment("web") + BLOCKING_NP,
    phrase: "its ingress rules let no TCP 15008 (HBONE) in",
  },
  "sidecar-callers-bypass-waypoint": {
    yaml:
      APP_NS +
      CLIENT_NS +
      deployment("web") +
      service("web") +
      deployment("curl", "client", "curl") +
      L7_POLICY,
    phrase:
      "namespaces still on sidecars call app: client (AuthorizationPolicy app/get-only allows principal cluster.local/ns/client/sa/curl)",
    namespaces: ["app"],
  },
  "headless-service-sidecar-callers": {
    yaml:
      APP_NS +
      CLIENT_NS +
      deployment("db") +
      service("db", "  clusterIP: None\n") +
      deployment("curl", "client"),
    phrase: "headless Service db: sidecars cannot send HBONE",
    namespaces: ["app"],
  },
  "port-level-mtls-permissive": {
    yaml: APP_NS + deployment("web") + STRICT_WITH_PERMISSIVE_PORT,
    phrase: "exempts port(s) 9443 (PERMISSIVE) from STRICT (its own mode)",
  },
  "service-entry-export-to": {
    yaml: APP_NS + NARROW_SERVICE_ENTRY,
    phrase: "ztunnel ignores exportTo",
  },
};
