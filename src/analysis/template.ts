// Query templating: {{namespace}}, {{service}} and {{step}} (spaces inside the braces allowed).
// Anything else in double braces is an error when the file is loaded, not a query Prometheus
// rejects in the middle of a migration.

const TEMPLATE_VARIABLES = ["namespace", "service", "step"] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The variables a query uses; throws on one that does not exist. */
export function templateVariables(query: string): Set<TemplateVariable> {
  const found = new Set<TemplateVariable>();
  for (const m of query.matchAll(PLACEHOLDER)) {
    const name = m[1] ?? "";
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(name))
      throw new Error(
        `unknown template variable {{${name}}} (known: ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(", ")})`,
      );
    found.add(name as TemplateVariable);
  }
  return found;
}

/** Fills in the variables given; the others stay as they are (e.g. {{step}} until the step is known). */
export function fillTemplate(
  query: string,
  values: Partial<Record<TemplateVariable, string | number>>,
): string {
  return query.replace(PLACEHOLDER, (whole, name: string) => {
    const value = values[name as TemplateVariable];
    return value === undefined ? whole : String(value);
  });
}
