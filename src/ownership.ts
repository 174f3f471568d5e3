// How the tool marks what it owns in a cluster, spelled once: the field manager of its
// server-side applies (the kubectl lines it prints name it too, so a person applying them by
// hand owns the same fields) and the managed-by label on the objects it creates.
export const FIELD_MANAGER = "ambient-migrate";
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "ambient-migrate";
