// How long `translate` takes for 10,000 VirtualServices offline (target: under 5 s).
//
// Run:  npx node --experimental-transform-types bench/translate.ts [count]
//
// `npx node` is the pinned Node 24. The sources import each other as `.js` (nodenext) and
// use parameter properties, so plain type stripping is not enough: the flag transforms
// TypeScript, and the resolve hook below maps a missing `./x.js` to `./x.ts`.

import { registerHooks } from "node:module";

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (err) {
      if (specifier.startsWith(".") && specifier.endsWith(".js"))
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
      throw err;
    }
  },
});

const { Inventory } = await import("../src/inventory/model.js");
const { translate } = await import("../src/translate/index.js");

const count = Number(process.argv[2] ?? 10_000);
const perNamespace = 100;
const inventory = new Inventory({ type: "files", paths: [] });
const namespaces: string[] = [];
for (let i = 0; i < count; i++) {
  const ns = `ns-${Math.floor(i / perNamespace)}`;
  if (i % perNamespace === 0) namespaces.push(ns);
  const svc = `svc-${i % perNamespace}`;
  inventory.add({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: svc, namespace: ns },
    spec: { selector: { app: svc }, ports: [{ name: "http", port: 8080 }] },
  });
  inventory.add({
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: svc, namespace: ns },
    spec: { host: svc, subsets: ["v1", "v2"].map((name) => ({ name, labels: { version: name } })) },
  });
  inventory.add({
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: svc, namespace: ns },
    spec: {
      hosts: [svc],
      http: [
        {
          match: [{ headers: { "end-user": { exact: "jason" } } }],
          route: [{ destination: { host: svc, subset: "v2" } }],
        },
        {
          match: [{ uri: { exact: "/login" } }, { uri: { prefix: "/api/" }, method: { exact: "POST" } }],
          route: [{ destination: { host: svc, subset: "v1" } }],
          timeout: "2s",
        },
        {
          match: [{ uri: { regex: "/items/[0-9]+" } }],
          route: [{ destination: { host: svc, subset: "v1" } }],
          retries: { attempts: 3, perTryTimeout: "500ms", retryOn: "5xx,503" },
        },
        {
          route: [
            { destination: { host: svc, subset: "v1" }, weight: 90 },
            { destination: { host: svc, subset: "v2" }, weight: 10 },
          ],
        },
      ],
    },
  });
}

const started = performance.now();
const result = translate(inventory, namespaces);
const seconds = (performance.now() - started) / 1000;
const routes = result.objects.filter((o) => o.kind === "HTTPRoute").length;
process.stdout.write(
  `translated ${count} VirtualServices (+${count} DestinationRules) in ${seconds.toFixed(2)} s: ` +
    `${routes} HTTPRoutes, ${result.objects.length} objects, ${result.report.length} report entries (target < 5 s)\n`,
);
