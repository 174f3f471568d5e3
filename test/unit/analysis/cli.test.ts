import { describe, expect, it } from "vitest";
import { EXAMPLE, runCli } from "../assess/helpers.js";

// The CLI runs as a process; the machine may be loaded.
describe("plan --slo default", { timeout: 60_000 }, () => {
  it("shows every default query per Service, and which telemetry a Service without a waypoint keeps", async () => {
    const { code, stdout } = await runCli(["plan", "-f", EXAMPLE, "-n", "orders", "--slo", "default"]);
    expect(code).toBe(0);
    expect(stdout).toContain(
      "Analysis for orders (--slo default): after steps 1, 2, 4, 5; on failure: pause",
    );
    expect(stdout).toMatch(/success-rate\/orders: result >= 0.95/);
    expect(stdout).toMatch(/tcp-failures\/orders: result <= 0.05; after steps 4, 5, 6/);
    expect(stdout).toContain("judged on ztunnel's TCP series only");
    expect(stdout).toContain(
      'istio_requests_total{reporter=~"destination|waypoint",destination_service_namespace="orders"',
    );
  });

  it("-o json adds the checks next to the plan", async () => {
    const { code, stdout } = await runCli([
      "plan",
      "-f",
      EXAMPLE,
      "-n",
      "orders",
      "--slo",
      "default",
      "-o",
      "json",
    ]);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.analysis[0].namespace).toBe("orders");
    expect(out.analysis[0].checks.map((c: { key: string }) => c.key)).toEqual([
      "success-rate/orders",
      "p99-latency/orders",
      "tcp-failures/orders",
    ]);
  });

  it("migrate --slo default without --prometheus is a usage error (exit 2)", async () => {
    const { code, stderr } = await runCli(["migrate", "-n", "orders", "--slo", "default", "--yes"]);
    expect(code).toBe(2);
    expect(stderr).toContain("--slo default needs --prometheus URL");
  });
});
