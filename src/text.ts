// Lists in messages: a message about many objects names how many and a few of them, so that N
// objects never make N messages of N names each (3,000 VirtualServices on one host once made
// 1.8 GB of warning text).

/** `a, b, c and 2,997 more`: at most `max` names, then the count of the rest. */
export function someOf(names: readonly string[], max = 5): string {
  if (names.length <= max) return names.join(", ");
  return `${names.slice(0, max).join(", ")} and ${(names.length - max).toLocaleString("en-US")} more`;
}
