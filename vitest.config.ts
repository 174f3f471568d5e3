import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

// Two projects: fast unit/golden/property tests, and end-to-end tests that run the real CLI
// against the testbed (a real kube-apiserver and istiod, started once per run by globalSetup).
/** The unit tests' temporary directories, all under one of the run's (test/unit/temp-dir-setup.ts). */
const UNIT_TMPDIR = join(tmpdir(), `am-unit-run-${process.pid}`);

export default defineConfig({
  test: {
    // Goldens are written only on request (npm run golden:update); a missing one fails, CI or not.
    update: "none",
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          globalSetup: [
            "test/fixtures-setup.ts",
            "test/schema-validators-setup.ts",
            "test/unit/temp-dir-setup.ts",
          ],
          env: { TMPDIR: UNIT_TMPDIR },
          // Property, golden and simulated-cluster tests are CPU-bound: 5 s flaked on a loaded
          // 2-core machine. A hang is still caught, 20 s later.
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.e2e.test.ts"],
          globalSetup: ["test/fixtures-setup.ts", "test/e2e/global-setup.ts"],
          testTimeout: 300_000,
          hookTimeout: 1_800_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
