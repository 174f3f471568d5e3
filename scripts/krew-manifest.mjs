// Prints the krew plugin manifest (kubectl krew install --manifest=FILE) for a packed tarball:
//   npm pack && node scripts/krew-manifest.mjs ambient-migrate-X.Y.Z.tgz <URL of that file> <homepage>
// The plugin is the npm package itself: krew unpacks it and runs bin/ambient-migrate.js, one
// bundled file that needs Node.js 22 or newer on PATH. The same archive serves every platform.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { stringify } from "yaml";

const [tarball, uri, homepage] = process.argv.slice(2);
if (!tarball || !uri || !homepage) {
  process.stderr.write(
    "usage: node scripts/krew-manifest.mjs <package.tgz> <download URL of it> <homepage URL>\n",
  );
  process.exit(2);
}
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const sha256 = createHash("sha256").update(readFileSync(tarball)).digest("hex");
const platform = (os) => ({
  selector: { matchLabels: { os } },
  uri,
  sha256,
  files: [{ from: "package/*", to: "." }],
  bin: "bin/ambient-migrate.js",
});
const manifest = {
  apiVersion: "krew.googlecontainertools.github.com/v1alpha2",
  kind: "Plugin",
  // krew links it as kubectl-ambient_migrate: `kubectl ambient-migrate ...`
  metadata: { name: "ambient-migrate" },
  spec: {
    version: `v${pkg.version}`,
    homepage,
    shortDescription: "Migrate an Istio mesh from sidecars to ambient, one namespace at a time",
    description:
      "Assesses, plans and migrates each namespace through Istio's six steps, each gated by a real\n" +
      "verification and journalled in the namespace; rollback undoes it exactly. Needs Node.js 22 or\n" +
      "newer on PATH. Run as: kubectl ambient-migrate plan -n NS\n",
    caveats: "Needs Node.js 22 or newer on PATH (node --version).\n",
    platforms: ["linux", "darwin"].map(platform),
  },
};
process.stdout.write(stringify(manifest, { lineWidth: 0 }));
