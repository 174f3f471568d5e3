// A unified diff for in-place rewrites. Rewrites replace text inside single lines and never add
// or remove a line, so lines pair up one to one; anything else is shown as one whole hunk.

const CONTEXT = 3;

export function unifiedDiff(oldText: string, newText: string, oldName: string, newName: string): string {
  if (oldText === newText) return "";
  const a = oldText.split("\n");
  const b = newText.split("\n");
  const header = `--- ${oldName}\n+++ ${newName}\n`;
  if (a.length !== b.length) {
    return `${header}@@ -1,${a.length} +1,${b.length} @@\n${a.map((l) => `-${l}`).join("\n")}\n${b.map((l) => `+${l}`).join("\n")}\n`;
  }
  const changed = a.flatMap((line, i) => (line !== b[i] ? [i] : []));
  const hunks: [number, number][] = [];
  for (const i of changed) {
    const from = Math.max(0, i - CONTEXT);
    const to = Math.min(a.length, i + CONTEXT + 1);
    const last = hunks.at(-1);
    if (last && from <= last[1]) last[1] = to;
    else hunks.push([from, to]);
  }
  let out = header;
  for (const [from, to] of hunks) {
    out += `@@ -${from + 1},${to - from} +${from + 1},${to - from} @@\n`;
    let removed = "";
    let added = "";
    for (let i = from; i < to; i++) {
      if (a[i] !== b[i]) {
        removed += `-${a[i]}\n`;
        added += `+${b[i]}\n`;
        continue;
      }
      out += `${removed}${added} ${a[i]}\n`;
      removed = "";
      added = "";
    }
    out += removed + added;
  }
  return out;
}
