// The one set of options every plan is built from: `plan`, `migrate`, `translate` and
// `observability` read them from the same flags (cli/plan-flags.ts), so what `plan` shows is
// what `migrate` does.

import type { TranslateOptions } from "../translate/index.js";

/** A plan always drops the translation's info entries: `infos` is not the user's to choose. */
export interface PlanOptions extends Omit<TranslateOptions, "infos"> {
  /** Migrate a namespace even when some source cannot be translated faithfully; such sources stay. */
  acceptTranslationLosses?: boolean;
  /** Step 3 also removes the pod template keys that make the injector select a workload on its own. */
  patchForcedInjection?: boolean;
  /** Step 5 deletes without proving first that the waypoint routes as the sidecars did. */
  skipRouteVerify?: boolean;
}
