// Where a command writes, injected like kubectl's IOStreams: results on `out` (what scripts
// parse), progress and notes on `err`. The process's streams in production; a test passes its
// own and reads what the command wrote, without touching process.stdout.

export interface Writer {
  write(text: string): unknown;
}

export interface IOStreams {
  out: Writer;
  err: Writer;
}

export function processStreams(): IOStreams {
  return { out: process.stdout, err: process.stderr };
}

/** One line of progress or a note, on err. */
export function noteTo(io: IOStreams): (message: string) => void {
  return (message) => io.err.write(`${message}\n`);
}
