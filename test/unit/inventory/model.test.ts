import { describe, expect, it } from "vitest";
import { K } from "../../../src/inventory/kinds.js";
import { Inventory, type KubeObject } from "../../../src/inventory/model.js";

const object = (kind: string, name: string, namespace?: string): KubeObject => ({
  apiVersion: "v1",
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
});

describe("Inventory.get", () => {
  it("finds by name across namespaces, the first added first, and sees objects added after a lookup", () => {
    const inventory = new Inventory({ type: "files", paths: [] });
    const first = object("Service", "web", "a");
    inventory.add(first);
    inventory.add(object("Service", "web", "b"));
    expect(inventory.get(K.Service, undefined, "web")).toBe(first);
    expect(inventory.get(K.Service, undefined, "api")).toBeUndefined();
    const api = object("Service", "api", "b");
    inventory.add(api);
    expect(inventory.get(K.Service, undefined, "api")).toBe(api);
    expect(inventory.get(K.Service, "b", "web")?.metadata.namespace).toBe("b");
    expect(inventory.get(K.Service, "c", "web")).toBeUndefined();
  });

  it("finds namespaces by name among thousands", () => {
    const inventory = new Inventory({ type: "files", paths: [] });
    for (let i = 0; i < 5000; i++) inventory.add(object("Namespace", `ns-${i}`));
    expect(inventory.namespaceObject("ns-4321")?.metadata.name).toBe("ns-4321");
    inventory.add(object("Namespace", "late"));
    expect(inventory.namespaceObject("late")?.metadata.name).toBe("late");
    expect(inventory.namespaceObject("ns-5000")).toBeUndefined();
  });
});
