/**
 * The dashboard as a person uses it, in a real browser: headless Chromium (Debian's `chromium`, which `.ci/run`
 * installs when missing; `CHROMIUM_PATH` overrides the path) driven by playwright-core, against the worker in
 * workerd + local stack + real Redis. Sign in with the API key; the runs list; review-all with 1 s simulated calls,
 * whose five reviewers turn running then done on the run page without a reload; Cancel on a long run; a finished
 * bwa run (1,004 nodes) opened in under 2 s. It writes the run page's screenshot to the OS temp folder, or to
 * docs/img/run-page.png (the one README shows) when UPDATE_SCREENSHOTS=1.
 */
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../local/project-root.js";
import { type Harness, startHarness } from "../support/worker-harness.js";
import { node, workflow } from "../support/workflows.js";
import { readWorkload, workloadWorkflow } from "../support/workloads.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Flags that keep Chromium quiet on a closed network (no background connections, no updates, no sync). */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const REVIEWERS = [
  "quality-reviewer",
  "best-practices-reviewer",
  "architecture-reviewer",
  "performance-reviewer",
  "security-reviewer",
];
const INPUT = { repo: "tiny", tree: "tiny/\n  index.ts", files: "=== index.ts\nexport const x = 1;\n", omitted: "" };

/**
 * Installs a MutationObserver in the page that records, per DAG node, the statuses its element showed in order
 * (`window.__seen`). Page code is a string: this file is type-checked without the DOM library.
 */
async function watchStatuses(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const seen = {};
    window.__seen = seen;
    const skip = new Set(["node", "cell", "crit", "selected"]);
    const record = (el) => {
      const id = el.getAttribute("data-node");
      if (!id) return;
      const status = [...el.classList].find((c) => !skip.has(c));
      const list = (seen[id] ??= []);
      if (status && list[list.length - 1] !== status) list.push(status);
    };
    document.querySelectorAll("svg.dag [data-node]").forEach(record);
    new MutationObserver((ms) => ms.forEach((m) => record(m.target)))
      .observe(document.querySelector("svg.dag"), { subtree: true, attributes: true, attributeFilter: ["class"] });
  })()`);
}

/** Timings the run page records on its first full render (dashboard/src/run-page.ts `RunPageTimings`). */
interface RunPageTimings {
  graphNodes: number;
  layoutMs: number;
  readyAt: number;
}

describe("dashboard in headless Chromium", () => {
  let h: Harness;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does)`).toBe(true);
    h = await startHarness({ vars: { MAX_WORKFLOW_NODES: "2000" } }); // bwa has 1,004 nodes
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it("serves the shell without a key and signs in with one", async () => {
    const shell = await fetch(`${h.url}/`);
    expect(shell.status).toBe(200);
    expect(await shell.text()).toContain('<script type="module" src="/app.js">');
    expect((await fetch(`${h.url}/v1/runs`)).status).toBe(401);
    await page.goto(`${h.url}/`);
    await page.fill("input[name=apiKey]", "wrong-key");
    await page.click("button[type=submit]");
    await page.getByText("This key was refused (401).").waitFor();
    await page.fill("input[name=apiKey]", "dev-key");
    await page.click("button[type=submit]");
    await page.locator("table.runs").waitFor();
    expect(await page.evaluate('sessionStorage.getItem("agent-dag.apiKey")')).toBe("dev-key");
  });

  it("shows review-all's five reviewers turn running then done, live, and lists the run", async () => {
    const { runId } = await h.client.start({ workflow: "review-all", input: INPUT, simulate: { latencyMs: 1000 } });
    // the run page follows the run's server-sent events with fetch, the key in the Authorization header
    const eventReads: { url: string; auth: string | undefined }[] = [];
    page.on("request", (r) => {
      if (r.url().includes(`/v1/runs/${runId}/events`))
        eventReads.push({ url: r.url(), auth: r.headers().authorization });
    });
    await page.click(".filters button[type=submit]"); // reload the list now rather than at its next refresh
    await page.locator(`tr[data-run="${runId}"]`).waitFor({ timeout: 15_000 });
    await page.click(`tr[data-run="${runId}"] a`);
    await page.locator(".run-page[data-ready=true]").waitFor({ timeout: 15_000 });
    await watchStatuses(page); // also leaves window.__seen, which a reload would drop
    await page.locator("h1 .badge[data-status=completed]").waitFor({ timeout: 30_000 });
    const seen = (await page.evaluate("window.__seen")) as Record<string, string[]>;
    for (const id of REVIEWERS) {
      const trail = seen[id] ?? [];
      expect(trail, id).toContain("running");
      expect(trail.indexOf("running"), id).toBeLessThan(trail.indexOf("done"));
      expect(trail.at(-1), id).toBe("done");
    }
    expect(await page.evaluate("typeof window.__seen")).toBe("object"); // the page was never reloaded
    expect(eventReads.length).toBeGreaterThan(0);
    for (const r of eventReads) {
      expect(r.auth).toBe("Bearer dev-key");
      expect(r.url).not.toContain("dev-key");
    }
    await expect(page.locator(".todo-row[data-status=done]").count()).resolves.toBe(7);
    await expect(page.locator("svg.dag .node.crit").count()).resolves.toBe(3);
    await page.click('svg.dag [data-node="senior-reviewer"]');
    await page.locator(".detail .output").waitFor();
    expect(await page.locator(".detail").textContent()).toMatch(/deep[\s\S]*SIMULATED OUTPUT/);
    await expect(page.locator(".banner").isVisible()).resolves.toBe(true);
    const shot = process.env.UPDATE_SCREENSHOTS === "1" ? join(PROJECT_ROOT, "docs", "img") : tmpdir();
    await page.screenshot({ path: join(shot, "run-page.png"), fullPage: true });
  });

  it("cancels a long run from its page", async () => {
    const wf = workflow([node("slow", [], { simulate: { latencyMs: 120_000 } }), node("after", ["slow"])]);
    const { runId } = await h.client.start({ workflow: wf });
    await page.goto(`${h.url}/#/runs/${runId}`);
    await page.locator('svg.dag [data-node="slow"].running').waitFor({ timeout: 15_000 });
    await page.click("button[data-action=cancel]");
    await page.locator("h1 .badge[data-status=cancelled]").waitFor({ timeout: 15_000 });
    await page.locator('svg.dag [data-node="after"].cancelled').waitFor({ timeout: 5_000 });
    expect((await h.client.get(runId)).status).toBe("cancelled");
    await expect(page.locator("button[data-action=cancel]").isDisabled()).resolves.toBe(true);
  });

  it("shows a map's children and a waiting approval, which a signal resumes, live", async () => {
    const wf = workflow([
      node("list"),
      node("review", ["list"], { kind: "map", over: "{{input.files}}", prompt: "Review {{item}}." }),
      node("approve", ["review"], {
        kind: "wait",
        prompt: "Ship the {{nodes.review.output[0]}} review?",
        wait: { timeout: "10m" },
      }),
      node("report", ["approve"], { prompt: "Report (approved: {{nodes.approve.output.approved}})." }),
    ]);
    const { runId } = await h.client.start({ workflow: wf, input: { files: ["a.ts", "b.ts", "c.ts"] } });
    await page.goto(`${h.url}/#/runs/${runId}`);
    await page.locator(".todo-row[data-status=waiting]").waitFor({ timeout: 20_000 });
    // the map's three children are rows of the todo list, done before the approval asks
    await expect(page.locator(".todo-row[data-status=done]").count()).resolves.toBeGreaterThanOrEqual(5);
    expect(await page.locator(".todo").textContent()).toMatch(/review\[2\]/);
    await page.click('svg.dag [data-node="approve"]');
    await page
      .locator(".detail")
      .getByText(/Ship the/)
      .waitFor();
    const shot = process.env.UPDATE_SCREENSHOTS === "1" ? join(PROJECT_ROOT, "docs", "img") : tmpdir();
    await page.screenshot({ path: join(shot, "run-page-waiting.png"), fullPage: true });
    // approved from the page, as a person would: the button sends the signal, the run goes on live
    await page.click("button[data-action=approve]");
    await page.locator(".toast").getByText("Approve approve: done").waitFor({ timeout: 10_000 });
    await page.locator("h1 .badge[data-status=completed]").waitFor({ timeout: 20_000 });
    await expect(page.locator(".todo-row[data-status=waiting]").count()).resolves.toBe(0);
    const approve = (await h.client.get(runId)).levels.flatMap((l) => l.nodes).find((n) => n.id === "approve");
    expect(approve?.wait?.signal).toMatchObject({ approved: true });
  });

  it("opens a finished bwa run (1,004 nodes) in under 2 s", async () => {
    const tasks = readWorkload("bwa-chameleon-large-001");
    const { runId } = await h.client.start({ workflow: workloadWorkflow("bwa", tasks, 0) });
    const done = await h.waitForRun(runId, 170_000);
    expect(done.status).toBe("completed");
    await page.goto("about:blank");
    const t0 = Date.now();
    await page.goto(`${h.url}/#/runs/${runId}`);
    await page.locator(".run-page[data-ready=true]").waitFor({ timeout: 10_000 });
    const openMs = Date.now() - t0;
    const timings = (await page.evaluate("window.__agentDagTimings")) as RunPageTimings | undefined;
    console.log(
      `dashboard: bwa run (1,004 nodes) open ${openMs} ms (ready at ${Math.round(timings?.readyAt ?? 0)} ms ` +
        `after navigation start; layout ${Math.round(timings?.layoutMs ?? 0)} ms)`,
    );
    expect(await page.locator("svg.dag [data-node]").count()).toBe(1004);
    expect(await page.locator("svg.dag [data-node].done").count()).toBe(1004);
    expect(timings?.graphNodes).toBe(1004);
    expect(openMs).toBeLessThan(2000);
  }, 240_000);
});
