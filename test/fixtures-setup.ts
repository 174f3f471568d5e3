// Many tests read Istio's own sample manifests (Bookinfo, addons, dashboards) from
// ../shared/fixtures/istio-upstream beside the clone, as CI lays them out. Without them, one
// clear error here instead of dozens of ENOENTs across the suite.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const FIXTURES = fileURLToPath(new URL("../../shared/fixtures/istio-upstream/", import.meta.url));

export default function setup(): void {
  if (!existsSync(FIXTURES))
    throw new Error(
      `the tests read Istio's upstream fixtures from ${FIXTURES}, which is missing: ` +
        "lay out ../shared/fixtures beside this clone (see the README's quick start), then run the tests again",
    );
}
