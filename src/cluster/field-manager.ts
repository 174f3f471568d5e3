// The field manager of every server-side apply the tool makes; the kubectl lines it prints name
// it too, so that a person applying them by hand owns the same fields.
export const FIELD_MANAGER = "ambient-migrate";
