// Objects as text for Kubernetes and for scripts: the YAML and JSON the tool writes everywhere
// (plans, backups, kubectl heredocs, rewritten dashboards, command output).

import { stringify } from "yaml";

/** YAML that Kubernetes (a YAML 1.1 reader) reads back the same: "yes", "on", "no" stay strings. */
export function toYaml(value: unknown): string {
  return stringify(value, { version: "1.1", lineWidth: 0, aliasDuplicateObjects: false });
}

export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
