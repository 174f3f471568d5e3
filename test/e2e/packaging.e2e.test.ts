// The package as a user gets it: `npm pack`, installed offline from the packed file into an
// empty folder, run with npx on Node 24 (the project's) and Node 22 (the oldest supported, from
// the npm package node@22); shell completion prints; the krew manifest points at the same file.

import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "./harness.js";

const version = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string })
  .version;
const work = mkdtempSync(join(tmpdir(), "am-pack-"));
const node24 = join(repoRoot, "node_modules", ".bin");
let tarball: string;
let app: string;

function run(cmd: string, args: string[], cwd: string, pathFirst: string) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      PATH: `${pathFirst}${delimiter}${process.env.PATH}`,
      npm_config_update_notifier: "false",
    },
  });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  // global-setup built dist/; pack exactly what `npm publish` would.
  const packed = execFileSync("npm", ["pack", "--pack-destination", work, "--silent"], {
    cwd: repoRoot,
    encoding: "utf8",
  }).trim();
  tarball = join(work, packed.split("\n").at(-1) ?? "");
  app = join(work, "app");
  mkdirSync(app);
  // Offline: the package has no runtime dependency (the CLI is one bundle), so the packed file is
  // all it takes. --prefix: npm would otherwise install into the nearest folder above with a
  // package.json.
  const install = run(
    "npm",
    ["install", "--offline", "--no-audit", "--no-fund", "--prefix", app, tarball],
    app,
    node24,
  );
  expect(install.stderr).not.toMatch(/ERR!/);
  expect(install.code).toBe(0);
}, 600_000);

describe("the packed package", () => {
  it("installs into an empty folder and runs with npx on Node 24", () => {
    expect(readdirSync(app).sort()).toEqual(["node_modules", "package-lock.json", "package.json"]);
    expect(readdirSync(join(app, "node_modules")).filter((d) => !d.startsWith("."))).toEqual([
      "ambient-migrate",
    ]);
    expect(run("node", ["--version"], app, node24).stdout).toMatch(/^v24\./);
    const r = run("npx", ["--no-install", "ambient-migrate", "--version"], app, node24);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe(version);
    // The bundled CLI does real work from the installed copy: the example ships in the package.
    const assess = run(
      "npx",
      [
        "--no-install",
        "ambient-migrate",
        "assess",
        "-f",
        "node_modules/ambient-migrate/examples/bookinfo-mesh",
      ],
      app,
      node24,
    );
    expect(assess.stdout).toContain("vm-workload-entry");
    expect(assess.code).toBe(3);
  });

  it("runs with npx on Node 22", () => {
    // Node 22 from the npm package node@22 (no system install), kept in its own folder.
    const node22 = join(work, "node22");
    mkdirSync(node22, { recursive: true });
    const install = run(
      "npm",
      ["install", "--no-audit", "--no-fund", "--prefix", node22, "node@22"],
      node22,
      node24,
    );
    expect(install.stderr).not.toMatch(/ERR!/);
    expect(install.code).toBe(0);
    const bin = join(node22, "node_modules", ".bin");
    expect(run("node", ["--version"], app, bin).stdout).toMatch(/^v22\./);
    const r = run("npx", ["--no-install", "ambient-migrate", "--version"], app, bin);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe(version);
  }, 600_000);

  it("prints shell completion", () => {
    for (const shell of ["bash", "zsh"]) {
      const r = run("npx", ["--no-install", "ambient-migrate", "completion", shell], app, node24);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("complete -F _ambient_migrate ambient-migrate kubectl-ambient_migrate");
      const file = join(work, `completion.${shell}`);
      writeFileSync(file, r.stdout);
      expect(spawnSync(shell, ["-n", file]).status).toBe(0);
    }
  });

  it("has a krew manifest whose archive unpacks to a runnable kubectl plugin", () => {
    const uri = "https://example.invalid/ambient-migrate.tgz";
    const r = run(
      "node",
      [join(repoRoot, "scripts/krew-manifest.mjs"), tarball, uri, "https://example.invalid/"],
      repoRoot,
      node24,
    );
    expect(r.code).toBe(0);
    const manifest = parse(r.stdout) as {
      apiVersion: string;
      kind: string;
      metadata: { name: string };
      spec: {
        version: string;
        platforms: { uri: string; sha256: string; bin: string; files: { from: string; to: string }[] }[];
      };
    };
    expect(manifest.apiVersion).toBe("krew.googlecontainertools.github.com/v1alpha2");
    expect(manifest.kind).toBe("Plugin");
    expect(manifest.metadata.name).toBe("ambient-migrate");
    expect(manifest.spec.version).toBe(`v${version}`);
    const sha = createHash("sha256").update(readFileSync(tarball)).digest("hex");
    // Unpack as krew does (files: package/* -> .) and run the bin as kubectl would.
    const plugin = join(work, "krew");
    mkdirSync(plugin);
    execFileSync("tar", ["-xzf", tarball, "-C", plugin]);
    for (const p of manifest.spec.platforms) {
      expect(p.sha256).toBe(sha);
      expect(p.uri).toBe(uri);
      expect(p.files).toEqual([{ from: "package/*", to: "." }]);
      expect(existsSync(join(plugin, "package", p.bin))).toBe(true);
    }
    const bin = join(plugin, "package", manifest.spec.platforms[0]?.bin ?? "");
    const kubectlPlugin = run("node", [bin, "--version"], plugin, node24);
    expect(kubectlPlugin.stdout.trim()).toBe(version);
  });
});
