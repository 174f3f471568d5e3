// A namespace's own observability objects, as observability --apply finds them on a cluster.

import type { KubeObject } from "../../../src/inventory/model.js";

export const dashboard = JSON.stringify(
  {
    panels: [
      {
        id: 1,
        title: "Requests",
        targets: [{ expr: 'sum(rate(istio_requests_total{reporter="destination"}[1m]))' }],
      },
    ],
  },
  null,
  2,
);

export const namespace = (name: string): KubeObject => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name },
});

export const dashboards = (ns: string): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "dashboards", namespace: ns, labels: { grafana_dashboard: "1" } },
  data: { "service.json": dashboard, "readme.txt": "not a dashboard" },
});

export const app: KubeObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop" },
  spec: {
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" }, annotations: { "prometheus.io/port": "9090" } },
      spec: { containers: [{ name: "web", ports: [{ name: "metrics", containerPort: 9090 }] }] },
    },
  },
};
