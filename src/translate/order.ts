// Keeping a VirtualService's first-match order under Gateway API precedence.
//
// A VirtualService tries its http rules in order; an HTTPRoute ranks every match by
// precedence (exact path, longest prefix, method, headers, query params) and only falls back
// to rule order on ties. For a request accepted by an earlier rule i and a later rule j, the
// HTTPRoute picks j when j's match ranks higher. This module:
//  1. drops matches the VirtualService can never reach (an earlier match accepts all they do);
//  2. for each such inversion, adds to rule i the intersection of i's and j's matches: it
//     accepts only requests rule i already takes, and ranks at least as high as j (a tie goes to
//     the earlier rule), so the earlier rule wins exactly where the VirtualService says;
//  3. reports the inversions it cannot repair (an intersection no single match expresses).
// Rules with the same action never conflict: whichever wins, the request goes the same way.
// When some inversion stays, regexOrder is the encoding that always keeps the order: every
// match a RegularExpression, earlier rules' patterns longer (istiod ranks regexes by length).

import {
  asRegex,
  comparePrecedence,
  emitMatch,
  intersect,
  lengthenRegex,
  type MatchCond,
  overlaps,
  precedenceKey,
  subsumes,
} from "./http-match.js";

export interface OrderedRule {
  /** Matches in VirtualService order; a rule without match accepts every request. */
  matches: MatchCond[];
  /** Equal keys mean equal routing actions. */
  actionKey: string;
}

export interface OrderResult {
  /** Matches per rule after dropping unreachable ones and adding intersections; empty = rule dropped. */
  matches: MatchCond[][];
  unreachable: { rule: number; match: number; shadowedBy: number }[];
  added: { rule: number; because: number; match: MatchCond }[];
  conflicts: { earlier: number; later: number; earlierMatch: MatchCond; laterMatch: MatchCond }[];
}

interface Item {
  rule: number;
  /** Index of the match in the source rule; -1 for an added intersection. */
  source: number;
  cond: MatchCond;
  key: number[];
}

const MAX_ADDED = 64;

export function preserveOrder(rules: readonly OrderedRule[]): OrderResult {
  const unreachable: OrderResult["unreachable"] = [];
  const added: OrderResult["added"] = [];
  const conflicts: OrderResult["conflicts"] = [];
  const items: Item[] = [];
  rules.forEach((rule, r) => {
    rule.matches.forEach((cond, m) => {
      const shadow = items.find((earlier) => subsumes(earlier.cond, cond));
      if (shadow) {
        if (shadow.rule !== r) unreachable.push({ rule: r, match: m, shadowedBy: shadow.rule });
        return;
      }
      items.push({ rule: r, source: m, cond, key: precedenceKey(emitMatch(cond)) });
    });
  });
  // Items are kept grouped by rule, in rule order; scan pairs until nothing changes.
  const reported = new Set<string>();
  const pairKey = (i: Item, j: Item) => JSON.stringify([i.rule, i.cond, j.rule, j.cond]);
  let changed = true;
  while (changed) {
    changed = false;
    for (let jx = 0; jx < items.length && !changed; jx++) {
      const j = items[jx] as Item;
      for (let ix = 0; ix < jx && !changed; ix++) {
        const i = items[ix] as Item;
        if (i.rule === j.rule || rules[i.rule]?.actionKey === rules[j.rule]?.actionKey) continue;
        if (comparePrecedence(j.key, i.key) <= 0 || !overlaps(i.cond, j.cond)) continue;
        if (repaired(items, i, j)) continue;
        const both = intersect(i.cond, j.cond);
        const key = both ? precedenceKey(emitMatch(both)) : undefined;
        if (both && key && comparePrecedence(key, j.key) >= 0 && added.length < MAX_ADDED) {
          const at = lastIndexOfRule(items, i.rule) + 1;
          items.splice(at, 0, { rule: i.rule, source: -1, cond: both, key });
          added.push({ rule: i.rule, because: j.rule, match: both });
          changed = true;
        } else if (!reported.has(pairKey(i, j))) {
          reported.add(pairKey(i, j));
          conflicts.push({ earlier: i.rule, later: j.rule, earlierMatch: i.cond, laterMatch: j.cond });
        }
      }
    }
  }
  const matches: MatchCond[][] = rules.map(() => []);
  for (const item of items) matches[item.rule]?.push(item.cond);
  return { matches, unreachable, added, conflicts };
}

/** Rule i already holds a match that takes every request both accept, ranked at least as high as j. */
function repaired(items: readonly Item[], i: Item, j: Item): boolean {
  const both = intersect(i.cond, j.cond);
  return items.some(
    (x) =>
      x.rule === i.rule &&
      x !== i &&
      comparePrecedence(x.key, j.key) >= 0 &&
      (both ? subsumes(x.cond, both) : false),
  );
}

function lastIndexOfRule(items: readonly Item[], rule: number): number {
  let last = -1;
  items.forEach((item, index) => {
    if (item.rule === rule) last = index;
  });
  return last;
}

/**
 * Every rule's matches as RegularExpressions, each rule's patterns longer than every later
 * rule's: istiod ranks regex paths by length before method, headers and query parameters
 * (sortHTTPRoutes), so the HTTPRoute tries the rules in the VirtualService's order. Patterns
 * are lengthened with empty groups, which RE2 ignores. Unreachable matches should be dropped
 * first (preserveOrder's result without its added intersections).
 */
export function regexOrder(rules: readonly MatchCond[][]): MatchCond[][] {
  const out: MatchCond[][] = rules.map(() => []);
  let longestLater = 0;
  for (let r = rules.length - 1; r >= 0; r--) {
    const floor = r === rules.length - 1 ? 0 : longestLater + 1;
    let longest = longestLater;
    for (const cond of rules[r] ?? []) {
      const path = asRegex(cond.path);
      const value = lengthenRegex(path.value, floor);
      longest = Math.max(longest, value.length);
      out[r]?.push({ ...cond, path: { kind: "regex", value } });
    }
    longestLater = longest;
  }
  return out;
}
