// A command's action is imported only when the command runs: start-up reads every command's
// definition (its flags and help, for --help and completion) but the code of one action alone.

import type { IOStreams } from "../streams.js";

type Action<A extends unknown[]> = (io: IOStreams, ...args: A) => unknown;

/** Commander's action callback for the module `load` imports (its export `action`). */
export function lazyAction<A extends unknown[]>(
  io: IOStreams,
  load: () => Promise<{ action: Action<A> }>,
): (...args: A) => Promise<void> {
  return async (...args) => {
    const { action } = await load();
    await action(io, ...args);
  };
}
