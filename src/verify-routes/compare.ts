// The pure comparison: one request set from both tables' match conditions, Envoy's first match
// on each table, and each pair of decisions compared by effect. A route's effect is computed
// once; only the rewritten path depends on the request.

import {
  baseEffect,
  type DestinationResolver,
  describeEffect,
  differences,
  type Effect,
  rewrittenPath,
} from "./effect.js";
import { firstMatch, type Request, type Route } from "./envoy.js";
import { requestKey, requestSet } from "./requests.js";

export interface RequestOutcome {
  request: string;
  sidecar: string;
  waypoint: string;
  /** The route each side picked (its name, else its index), or "-" for none. */
  sidecarRoute: string;
  waypointRoute: string;
  /** Fields of the effect that differ ("path": the upstream path); empty when both do the same. */
  differs: string[];
}

function routeLabel(routes: readonly Route[], i: number): string {
  if (i < 0) return "-";
  return routes[i]?.name ? `${routes[i]?.name}` : `#${i}`;
}

const NONE: Effect = { action: "none" };

export function compareTables(
  sidecar: readonly Route[],
  waypoint: readonly Route[],
  authority: string,
  resolve: DestinationResolver,
): RequestOutcome[] {
  const sEffects = sidecar.map((r) => baseEffect(r, authority, resolve));
  const wEffects = waypoint.map((r) => baseEffect(r, authority, resolve));
  const sText = sEffects.map(describeEffect);
  const wText = wEffects.map(describeEffect);
  const pairDiffs = new Map<string, string[]>();
  const pathOf = (routes: readonly Route[], effects: Effect[], i: number, req: Request) =>
    i >= 0 && effects[i]?.action === "route" ? rewrittenPath(routes[i] as Route, req.path) : undefined;
  return requestSet([...sidecar, ...waypoint]).map((req) => {
    const s = firstMatch(sidecar, req);
    const w = firstMatch(waypoint, req);
    const pair = `${s}|${w}`;
    let diffs = pairDiffs.get(pair);
    if (!diffs) {
      diffs = differences(sEffects[s] ?? NONE, wEffects[w] ?? NONE);
      pairDiffs.set(pair, diffs);
    }
    const sp = pathOf(sidecar, sEffects, s, req);
    const wp = pathOf(waypoint, wEffects, w, req);
    const rewritten = (text: string, p: string | undefined) =>
      p !== undefined && p !== req.path ? `${text}, path ${p}` : text;
    return {
      request: requestKey(req),
      sidecar: rewritten(s < 0 ? describeEffect(NONE) : (sText[s] as string), sp),
      waypoint: rewritten(w < 0 ? describeEffect(NONE) : (wText[w] as string), wp),
      sidecarRoute: routeLabel(sidecar, s),
      waypointRoute: routeLabel(waypoint, w),
      differs: sp !== wp && !diffs.includes("action") ? [...diffs, "path"].sort() : diffs,
    };
  });
}
