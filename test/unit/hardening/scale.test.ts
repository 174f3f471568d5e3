// Class "scale": a message about many sources names a count and a few of them, so that N sources
// never make N messages of N names each (3,000 VirtualServices on one host once took 1.8 GB and
// 62 s in translate; bench:manifests prints the figures at 30,000).

import { expect, it } from "vitest";
import { Inventory } from "../../../src/inventory/model.js";
import { someOf } from "../../../src/text.js";
import { translate } from "../../../src/translate/index.js";

it("someOf names at most max items, then how many more", () => {
  expect(someOf(["a", "b"], 3)).toBe("a, b");
  expect(someOf(["a", "b", "c", "d", "e"], 3)).toBe("a, b, c and 2 more");
  expect(
    someOf(
      Array.from({ length: 3003 }, (_, i) => `x${i}`),
      3,
    ),
  ).toBe("x0, x1, x2 and 3,000 more");
});

it("2,000 VirtualServices on one host: one warning each, of bounded length", () => {
  const count = 2000;
  const inventory = new Inventory({ type: "files", paths: [] });
  inventory.add({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
  inventory.add({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "shop" },
    spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80 }] },
  });
  for (let i = 0; i < count; i++)
    inventory.add({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: `vs-${i}`, namespace: "shop" },
      spec: {
        hosts: ["web"],
        http: [{ match: [{ uri: { prefix: `/p${i}` } }], route: [{ destination: { host: "web" } }] }],
      },
    });
  const shared = translate(inventory, ["shop"]).report.filter((e) => e.message.includes("all route"));
  expect(shared).toHaveLength(count);
  expect(shared[0]?.message).toMatch(
    /^2,000 sources \(VirtualService\/shop\/vs-0, .* and 1,997 more\) all route /,
  );
  expect(Math.max(...shared.map((e) => e.message.length))).toBeLessThan(400);
});
