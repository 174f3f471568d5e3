// `report -o html` in a real headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core; no downloaded browser): the page renders at desktop and phone widths, logs no
// console error, makes no network request, passes axe-core without serious or critical
// violations, says what the example mesh holds, and prints every step to PDF.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, repoRoot } from "./harness.js";

const CHROMIUM = process.env.AMBIENT_CHROMIUM ?? "/usr/bin/chromium";
const out = join(repoRoot, "out", "report");
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

let browser: Browser;
let file: string;
let html: string;

beforeAll(async () => {
  // Relative, as a user types it: the page shows the path it read.
  const r = await cli(["report", "-f", "examples/bookinfo-mesh", "-o", "html"]);
  expect(r.stderr).toContain("read 50 document(s)");
  expect(r.code).toBe(0);
  html = r.stdout;
  mkdirSync(out, { recursive: true });
  file = join(out, "bookinfo-mesh.html");
  writeFileSync(file, html);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Every host name unresolvable and Chrome's own traffic off: a request could only be the page's.
    args: [
      "--host-resolver-rules=MAP * ~NOTFOUND",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
    ],
  });
});

afterAll(async () => {
  await browser?.close();
});

interface Opened {
  page: Page;
  errors: string[];
  requests: string[];
}

async function open(width: number): Promise<Opened> {
  // bypassCSP: the page's own Content-Security-Policy must not hide a request it would make.
  const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("request", (r) => {
    if (r.url() !== pathToFileURL(file).href) requests.push(r.url());
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  return { page, errors, requests };
}

describe("report -o html in Chromium", () => {
  it.each([1280, 390])(
    "renders at %i px: no console error, no request, no horizontal overflow",
    async (width) => {
      const { page, errors, requests } = await open(width);
      await page.screenshot({ path: join(out, `report-${width}.png`) });
      await page.screenshot({ path: join(out, `report-${width}-full.png`), fullPage: true });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      // Wide content (YAML, kubectl lines, tables) scrolls inside its own box, not the page.
      const overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth");
      expect(overflow).toBeLessThanOrEqual(0);
      await page.context().close();
    },
  );

  it.each([1280, 390])(
    "axe-core finds no serious or critical violation at %i px (steps expanded)",
    async (width) => {
      const { page } = await open(width);
      await page.click('[data-expand="open"]');
      await page.addScriptTag({ content: axeSource });
      const result = (await page.evaluate("axe.run(document)")) as {
        violations: { id: string; impact: string; help: string; nodes: unknown[] }[];
        passes: unknown[];
      };
      const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      expect(bad.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length} node(s))`)).toEqual([]);
      expect(result.passes.length).toBeGreaterThan(10);
      await page.context().close();
    },
  );

  it("says what the example mesh holds", async () => {
    const { page } = await open(1280);
    const text = async (sel: string) => (await page.locator(sel).textContent()) ?? "";
    // Overview: five namespaces, two blocked; the chart has a bar per state and per finding code.
    const cards = await text(".cards");
    expect(cards).toMatch(/5\s+namespaces/);
    expect(cards).toMatch(/2\s+blocked/);
    const states = page.locator("#chart-states-t");
    expect(await states.textContent()).toBe("Namespaces by state");
    expect(await page.locator("#chart-states-d").textContent()).toMatch(
      /sidecar: 2 namespace\(s\) that can migrate, 2 blocked namespace\(s\); migrating: 1 namespace/,
    );
    expect(await page.locator("#chart-findings-d").textContent()).toContain(
      "vm-workload-entry: 1 blocker(s)",
    );
    const rows = await page.locator("#overview tbody td:first-child").allTextContents();
    expect(rows).toEqual(["bookinfo", "bookinfo-canary", "legacy-vms", "orders", "payments"]);
    // Findings with their remedies.
    const vms = await text("#ns-legacy-vms");
    expect(vms).toContain("vm-workload-entry");
    expect(vms).toContain("WorkloadEntry/mysqldb-vm");
    expect(vms).toMatch(/remedy/i);
    expect(vms).toContain("Blocked: no step is planned");
    // The six steps of a namespace that can migrate, each with its kubectl lines, checks, rollback.
    const steps = page.locator("#ns-bookinfo-canary details.step");
    expect(await steps.count()).toBe(6);
    await page.click('[data-expand="open"]');
    const step2 = await text("#ns-bookinfo-canary-step-2");
    expect(step2).toContain(
      "$ kubectl label namespace bookinfo-canary istio.io/dataplane-mode=ambient --overwrite",
    );
    expect(step2).toContain("istioctl ztunnel-config workloads --workload-namespace bookinfo-canary");
    expect(step2).toContain("$ kubectl label namespace bookinfo-canary istio.io/dataplane-mode-");
    // A translation side by side: the VirtualService and the HTTPRoute, with the report's error.
    const ratings = page.locator("#ns-bookinfo .translation", { hasText: "VirtualService/ratings →" });
    const sides = ratings.locator(".pair figure");
    expect(await sides.count()).toBe(2);
    expect(await sides.nth(0).textContent()).toContain("kind: VirtualService");
    expect(await sides.nth(1).textContent()).toContain("kind: HTTPRoute");
    expect(await ratings.locator("table").textContent()).toContain("spec.http[0].fault");
    const boxes = await Promise.all([0, 1].map((i) => sides.nth(i).boundingBox()));
    expect(boxes[1]?.x ?? 0).toBeGreaterThan((boxes[0]?.x ?? 0) + (boxes[0]?.width ?? 0) - 1);
    // Observability after migration.
    expect(await text("#ns-bookinfo-canary")).toContain("L7 metrics (istio_requests_total");
    await page.context().close();
  });

  it("prints to PDF with every step expanded", async () => {
    const { page } = await open(1280);
    await page.emulateMedia({ media: "print" });
    expect(await page.locator("nav.toc").isVisible()).toBe(false);
    expect(await page.locator("#ns-bookinfo-canary-step-4 pre").first().isVisible()).toBe(true);
    const pdf = await page.pdf({ format: "A4", printBackground: true });
    writeFileSync(join(out, "report.pdf"), pdf);
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    await page.context().close();
  });
});
