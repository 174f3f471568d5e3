// The real-world corpus: Istio, Gateway API and Kubernetes manifests written by other people,
// read from the Go module proxy (the one registry this machine and CI reach) rather than copied
// into this repository. Each file is named by its module, version and path, so every result
// points back at the file it came from. istio.io/istio and gateway-api are the versions the
// testbed builds (already in the module cache after testbed:build); argo-rollouts is one download.

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

interface Source {
  module: string;
  /** A fixed version, or "testbed" for the version testbed/go.mod pins. */
  version: string;
  /** Folders of the module whose YAML files are taken, and what they are. */
  folders: { path: string; what: string }[];
  /** A file is taken only if its text matches (for folders that hold unrelated manifests). */
  mentions?: RegExp;
}

const SOURCES: Source[] = [
  {
    module: "istio.io/istio",
    version: "testbed",
    folders: [
      { path: "samples", what: "Istio's samples (Bookinfo, httpbin, helloworld, security, ...)" },
      {
        path: "pkg/config/analysis/analyzers/testdata",
        what: "the inputs of istioctl analyze's own tests: odd and wrong configurations on purpose",
      },
      { path: "istioctl/pkg/analyze/testdata", what: "istioctl analyze's command tests" },
      { path: "pilot/pkg/config/kube/gateway/testdata", what: "istiod's Gateway API conversion tests" },
    ],
  },
  {
    module: "sigs.k8s.io/gateway-api",
    version: "testbed",
    folders: [{ path: "examples", what: "Gateway API's examples, GAMMA mesh routes among them" }],
  },
  {
    module: "github.com/argoproj/argo-rollouts",
    version: "v1.8.3",
    folders: [
      { path: "examples", what: "Argo Rollouts' examples: Istio canaries by subset and by host" },
      { path: "docs", what: "Argo Rollouts' documentation examples" },
      { path: "test/e2e", what: "Argo Rollouts' end-to-end test manifests" },
    ],
    mentions: /networking\.istio\.io|security\.istio\.io/,
  },
];

export interface CorpusFile {
  /** `module@version/path`: where the file comes from. */
  source: string;
  path: string;
}

const repoRoot = new URL("../..", import.meta.url).pathname;

function testbedVersion(module: string): string {
  const goMod = readFileSync(join(repoRoot, "testbed/go.mod"), "utf8");
  const line = goMod.split("\n").find((l) => l.trim().startsWith(`${module} `));
  if (!line) throw new Error(`testbed/go.mod does not require ${module}`);
  return line.trim().split(/\s+/)[1] as string;
}

/** The module's folder in the Go module cache, downloaded through the module proxy if missing. */
function moduleDir(module: string, version: string): string {
  const out = execFileSync("go", ["mod", "download", "-json", `${module}@${version}`], {
    encoding: "utf8",
    cwd: repoRoot,
    env: {
      ...process.env,
      GOFLAGS: "-mod=mod",
      GOWORK: "off",
      PATH: `${process.env.PATH}:/usr/local/go/bin`,
    },
  });
  const info = JSON.parse(out) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download ${module}@${version}: ${info.Error ?? "no Dir"}`);
  return info.Dir;
}

function yamlFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

/** Every file of the corpus, in a fixed order. */
export function corpusFiles(): CorpusFile[] {
  return SOURCES.flatMap((s) => {
    const version = s.version === "testbed" ? testbedVersion(s.module) : s.version;
    const dir = moduleDir(s.module, version);
    return s.folders.flatMap((f) =>
      yamlFiles(join(dir, f.path))
        .filter((path) => !s.mentions || s.mentions.test(readFileSync(path, "utf8")))
        .map((path) => ({ source: `${s.module}@${version}/${relative(dir, path)}`, path })),
    );
  });
}
