import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { EXIT, runDemo } from "../../local/demo.js";
import { parseDemoArgs } from "../../local/demo-args.js";

/** Collects what the demo writes to a stream. */
function sink(): { stream: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough();
  let text = "";
  s.on("data", (b: Buffer) => {
    text += b.toString();
  });
  return { stream: s as unknown as NodeJS.WriteStream, text: () => text };
}

/**
 * `npm run demo -- --workflow review-changes --approve`, run in-process off a terminal: the demo starts its own local
 * stack and worker, shows the approval's question, approves it and runs the report to the end.
 */
describe("demo: review-changes with --approve", () => {
  it("shows the question, approves it, and completes with the report", async () => {
    const options = parseDemoArgs(
      ["--workflow", "review-changes", "--approve", "--latency-ms", "20", "--repo", "local/fake-providers", "--memory"],
      process.cwd(),
    );
    const out = sink();
    const err = sink();
    const code = await runDemo(options, new AbortController().signal, { out: out.stream, err: err.stream });
    expect(err.text()).toBe("");
    expect(code).toBe(EXIT.completed);
    expect(out.text()).toContain("Approval: approve waits for a signal");
    expect(out.text()).toContain('"securityIssue":true');
    expect(out.text()).toContain("approve: approved (--approve)");
    expect(out.text()).toContain("Output (report)  [SIMULATED provider: no model was called]");
  }, 120_000);
});
