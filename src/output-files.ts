// Writing files the user asked for (--output-dir, --report): names that come from objects
// never leave the directory, an existing file is never overwritten without --overwrite, and
// a path that cannot be written is a usage error (exit 2) that names it, never a stack trace.

import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { AmbientMigrateError, ExitCode } from "./errors.js";

/**
 * A file name made from object data (a namespace, a source file's name): refused when it could
 * name another directory (`..`, `/`, `\`, NUL) or a hidden file; other control characters are
 * replaced so that the name stays printable.
 */
export function safeFileName(name: string, what: string): string {
  if (
    name === "" ||
    name.startsWith(".") ||
    name.includes("/") ||
    name.includes("\\") ||
    name.includes("\0")
  ) {
    throw new AmbientMigrateError(
      `${what} ${JSON.stringify(name)} cannot name a file: it holds '..', '/', '\\', NUL or starts with '.'`,
      ExitCode.invalidInput,
      "fix the object's name or namespace; no file was written",
    );
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  return name.replace(/[\u0000-\u001f\u007f]/g, "_");
}

/** Creates the directory (and parents); exit 2 when it cannot be one. */
function prepareOutputDir(dir: string, flag: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw new Error("not a directory");
  } catch (err) {
    throw new AmbientMigrateError(
      `${flag} ${dir}: cannot use it as a directory: ${reason(err)}`,
      ExitCode.usage,
      `give ${flag} a directory you can write`,
    );
  }
}

export interface OutputFile {
  name: string;
  text: string;
}

/**
 * Writes files into `dir`. Every target is checked before the first is written: one that
 * exists stops the run (exit 2, naming it) unless `overwrite`.
 */
export function writeFilesInto(
  dir: string,
  files: readonly OutputFile[],
  options: { overwrite: boolean; flag: string },
): string[] {
  prepareOutputDir(dir, options.flag);
  const root = resolve(dir);
  const targets = files.map((f) => {
    const path = join(dir, f.name);
    const rel = relative(root, resolve(path));
    if (rel === "" || rel.startsWith("..") || resolve(root, rel) !== resolve(path))
      throw new AmbientMigrateError(`${f.name}: would be written outside ${dir}`, ExitCode.invalidInput);
    return { path, text: f.text };
  });
  if (!options.overwrite) {
    const existing = targets.filter((t) => existsSync(t.path)).map((t) => t.path);
    if (existing.length > 0)
      throw new AmbientMigrateError(
        `${existing.length} file(s) already exist in ${dir}: ${existing.slice(0, 5).join(", ")}${existing.length > 5 ? ", ..." : ""}`,
        ExitCode.usage,
        "add --overwrite to replace them, or choose another directory; nothing was written",
      );
  }
  for (const t of targets) {
    // Names may hold folders (plan --output-dir: wave-1/shop/step-1-.../add/...).
    if (dirname(t.path) !== dir) prepareOutputDir(dirname(t.path), options.flag);
    writeOutputFile(t.path, t.text, options.flag);
  }
  return targets.map((t) => t.path);
}

/** Writes one file the user named (e.g. --report); exit 2 naming it when it cannot be written. */
export function writeOutputFile(path: string, text: string, flag: string): void {
  try {
    writeFileSync(path, text);
  } catch (err) {
    throw new AmbientMigrateError(
      `${flag} ${path}: cannot write: ${reason(err)}`,
      ExitCode.usage,
      `give ${flag} a file path in a directory you can write`,
    );
  }
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const why: Record<string, string> = {
    EISDIR: "it is a directory",
    ENOTDIR: "a part of the path is not a directory",
    EEXIST: "a file of that name exists",
    EACCES: "permission denied",
    EPERM: "permission denied",
    ENOENT: "no such directory",
    EROFS: "read-only file system",
    ENOSPC: "no space left",
  };
  return (e?.code && why[e.code]) ?? e?.message ?? String(err);
}
