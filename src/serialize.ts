// Objects as text for Kubernetes and for scripts: the YAML and JSON the tool writes everywhere
// (plans, backups, kubectl heredocs, rewritten dashboards, command output).

import {
  DEFAULT_SCALAR_STYLE_RULES,
  dump,
  SCALAR_STYLE,
  type ScalarLayout,
  type ScalarStyleRule,
  YAML11_SCHEMA,
} from "js-yaml";
import { Schema } from "yaml";

/**
 * What the `yaml` package's YAML 1.1 reading (the tool reads backups and plans back with it)
 * takes for other than a string, by its own patterns: looser than js-yaml's (`E0`, `09_`, `.`).
 */
const YAML11_NOT_STRINGS = new Schema({ schema: "yaml-1.1" }).tags.flatMap((tag) =>
  "test" in tag && tag.test ? [tag.test] : [],
);

/**
 * A string that a YAML 1.1 reader (Kubernetes' own, sigs.k8s.io/yaml) would take for something
 * else, `on`, `0777`, `1e3`, `12:30`, is written quoted (js-yaml alone quotes what YAML 1.2 would
 * misread, and some of YAML 1.1's words).
 */
const quoteWhatYaml11Reads: ScalarStyleRule = (layout: ScalarLayout) => {
  if (layout.style !== SCALAR_STYLE.PLAIN) return;
  const { value, tag } = layout.node;
  if (tag !== layout.presenterOptions.schema.defaultScalarTag.tagName) return;
  if (
    YAML11_SCHEMA.resolveImplicitScalarTag(value).tag.tagName !== tag ||
    YAML11_NOT_STRINGS.some((pattern) => pattern.test(value)) ||
    // Block scalars keep white space at a line's edge only as some readers agree (" 0\n " came
    // back as " 0" from the `yaml` package): such a text is written double-quoted, as before.
    (value.includes("\n") && EDGE_WHITESPACE.test(value))
  )
    layout.style = SCALAR_STYLE.DOUBLE_QUOTED;
};

const EDGE_WHITESPACE = /^\s|[ \t](?:\n|$)/;

const scalarStyleRules = [quoteWhatYaml11Reads, ...Object.values(DEFAULT_SCALAR_STYLE_RULES)];

/**
 * YAML that Kubernetes (a YAML 1.1 reader) reads back the same. js-yaml's writer, not the `yaml`
 * package's: a 37,000-namespace plan spent a third of its time building the `yaml` package's
 * document model only to print it (a property test holds this to both readers).
 */
export function toYaml(value: unknown): string {
  // lineWidth -1: never fold a long string; noRefs: a shared object is written out again, not
  // aliased; skipInvalid: an undefined field is left out, as JSON.stringify does.
  return dump(value, {
    lineWidth: -1,
    noRefs: true,
    skipInvalid: true,
    quoteStyle: "double",
    scalarStyleRules,
  });
}

export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
