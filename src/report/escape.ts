// HTML escaping for text and attribute values: everything in the report comes from the mesh
// (names, YAML, messages), so nothing is inserted unescaped.

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** An id fragment from a name (namespaces and objects are DNS names, but stay safe for any). */
export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9-]+/g, "-");
}
