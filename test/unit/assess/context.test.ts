import { describe, expect, it } from "vitest";
import { MeshContext } from "../../../src/assess/context.js";
import { readManifests } from "../../../src/inventory/from-files.js";
import { EXAMPLE } from "./helpers.js";

describe("NamespaceContext.forget", () => {
  it("keeps the state and works the rest out again, the same, when asked later", () => {
    const { inventory } = readManifests([EXAMPLE]);
    const mesh = new MeshContext(inventory);
    for (const name of inventory.namespaceNames()) {
      const ctx = mesh.namespace(name);
      const state = ctx.state();
      const workloads = ctx.workloads();
      const policies = ctx.authorizationPolicies();
      const waypoint = ctx.waypoint();
      ctx.forget();
      expect(ctx.state()).toBe(state);
      expect(ctx.workloads()).not.toBe(workloads);
      expect(ctx.workloads()).toEqual(workloads);
      expect(ctx.authorizationPolicies()).toEqual(policies);
      expect(ctx.waypoint()).toEqual(waypoint);
    }
  });
});
