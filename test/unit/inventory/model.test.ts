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

describe("Inventory.namespaceNames", () => {
  it("sees namespaces of objects added after it was asked, and a caller's change stays its own", () => {
    const inventory = new Inventory({ type: "files", paths: [] });
    inventory.add(object("Namespace", "b"));
    inventory.add(object("Service", "web", "a"));
    const names = inventory.namespaceNames();
    expect(names).toEqual(["a", "b"]);
    names.push("mine");
    expect(inventory.namespaceNames()).toEqual(["a", "b"]);
    inventory.add(object("Service", "web", "c"));
    expect(inventory.namespaceNames()).toEqual(["a", "b", "c"]);
    inventory.addInvalid({ object: object("Service", "bad", "d"), problems: [] });
    expect(inventory.namespaceNames()).toEqual(["a", "b", "c", "d"]);
  });
});

describe("Inventory.originOf", () => {
  it("finds where an object was read in a namespace of thousands, and in one added later", () => {
    const inventory = new Inventory({ type: "files", paths: [] });
    const objects = Array.from({ length: 2000 }, (_, i) => object("Service", `svc-${i}`, "big"));
    objects.forEach((o, i) => {
      inventory.add(o, { file: "big.yaml", line: i * 10 + 1 });
    });
    inventory.add(object("Service", "svc-0", "small"), { file: "small.yaml", line: 3 });
    expect(inventory.originOf(objects[1234] as KubeObject)).toEqual({ file: "big.yaml", line: 12341 });
    const late = object("Service", "late", "big");
    inventory.add(late, { file: "late.yaml", line: 7 });
    expect(inventory.originOf(late)).toEqual({ file: "late.yaml", line: 7 });
    expect(inventory.originOf(inventory.get(K.Service, "small", "svc-0") as KubeObject)).toEqual({
      file: "small.yaml",
      line: 3,
    });
    // An equal object that was not read has no origin: objects are told apart by identity.
    expect(inventory.originOf(object("Service", "svc-5", "big"))).toBeUndefined();
  });
});
