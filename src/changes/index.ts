// The changes a plan makes: one module per change type (its kubectl lines, how it is made, sent
// with server-side dry run, journalled and undone), registered here. The registry's type lists
// every member of Change, so a change type without a handler does not compile (and a run never
// journals as done a change it did not know how to make).
// To add a change type: write its module (type + handler), add the type to Change and the
// handler to CHANGES.

import { type ApplyChange, apply } from "./apply.js";
import { type BackupChange, backup } from "./backup.js";
import { type DeleteChange, deleteObject } from "./delete.js";
import type { ChangeHandler } from "./handler.js";
import { type LabelChange, label } from "./label.js";
import { type RecordRoutesChange, recordRoutes } from "./record-routes.js";
import { type RestartChange, restart } from "./restart.js";
import { type TemplateMetadataChange, templateMetadata } from "./template-metadata.js";

export type {
  ChangeEntry,
  ChangeHandler,
  DryRunContext,
  PerformContext,
  UndoContext,
} from "./handler.js";

export type Change =
  | LabelChange
  | TemplateMetadataChange
  | ApplyChange
  | BackupChange
  | DeleteChange
  | RestartChange
  | RecordRoutesChange;

/** One handler per member of the union U, keyed by its type: a missing one is a type error. */
export type ChangeRegistry<U extends { type: string } = Change> = {
  [T in U["type"]]: ChangeHandler<Extract<U, { type: T }>>;
};

export const CHANGES: ChangeRegistry = {
  label,
  "template-metadata": templateMetadata,
  apply,
  backup,
  delete: deleteObject,
  restart,
  "record-routes": recordRoutes,
};

/** The handler of a change's type (a change read from a journal may name a type this version lacks). */
export function handlerOf<C extends Change>(change: C): ChangeHandler<C> {
  const handler = (CHANGES as Record<string, ChangeHandler<C> | undefined>)[change.type];
  if (!handler) throw new Error(`unknown change type ${JSON.stringify(change.type)}: no handler`);
  return handler;
}

/** The kubectl/istioctl lines that make the change by hand. */
export function changeCommands(change: Change): string[] {
  return handlerOf(change).commands(change);
}

/** Undoes one change; label and template changes restore the value the input showed. */
export function changeRollback(change: Change): string[] {
  return handlerOf(change).rollback(change);
}
