import { describe, expect, it } from "vitest";
import { ProviderError } from "../../../shared/providers/provider.js";
import { estimateTokens, SIMULATED_BANNER, SimulatedProvider } from "../../../shared/providers/simulated.js";

const req = {
  runId: "run_1",
  nodeId: "n",
  agent: "reviewer",
  system: "sys",
  prompt: "Review this.\nLine two.",
  model: "sim-fast",
  maxOutputTokens: 1000,
  attempt: 1,
};

describe("SimulatedProvider", () => {
  it("says it is simulated and is deterministic", async () => {
    const p = new SimulatedProvider();
    const a = await p.generate(req);
    const b = await p.generate(req);
    expect(a.text.startsWith(SIMULATED_BANNER)).toBe(true);
    expect(a.simulated).toBe(true);
    expect(b.text).toBe(a.text);
    expect(a.text).toContain("> Review this.");
  });

  it("estimates tokens from the text (4 characters per token)", async () => {
    const r = await new SimulatedProvider().generate(req);
    expect(r.usage.inputTokens).toBe(estimateTokens("sys") + estimateTokens(req.prompt));
    expect(r.usage.outputTokens).toBe(Math.ceil(r.text.length / 4));
    expect(estimateTokens("abcde")).toBe(2);
  });

  it("changes its output when the prompt changes", async () => {
    const p = new SimulatedProvider();
    expect((await p.generate(req)).text).not.toBe((await p.generate({ ...req, prompt: "Other." })).text);
  });

  it("cuts the output at maxOutputTokens", async () => {
    const r = await new SimulatedProvider().generate({ ...req, maxOutputTokens: 5 });
    expect(r.stopReason).toBe("max_tokens");
    expect(r.usage.outputTokens).toBeLessThanOrEqual(5);
  });

  it("fails the first failAttempts attempts with a retryable error", async () => {
    const p = new SimulatedProvider();
    const failing = p.generate({ ...req, attempt: 2, simulate: { failAttempts: 2 } });
    await expect(failing).rejects.toBeInstanceOf(ProviderError);
    await expect(failing).rejects.toMatchObject({ kind: "retryable" });
    await expect(p.generate({ ...req, attempt: 3, simulate: { failAttempts: 2 } })).resolves.toMatchObject({
      simulated: true,
    });
  });

  it("waits the configured latency and honours abort", async () => {
    const p = new SimulatedProvider(10_000);
    const ctl = new AbortController();
    const pending = p.generate({ ...req, signal: ctl.signal });
    ctl.abort(new Error("timeout"));
    await expect(pending).rejects.toThrow("timeout");
  });
});

describe("SimulatedProvider with sharedContext", () => {
  it("counts the shared context as input and lets it change the digest", async () => {
    const p = new SimulatedProvider();
    const plain = await p.generate(req);
    const shared = await p.generate({ ...req, sharedContext: "a brief of forty characters, more or less" });
    expect(shared.usage.inputTokens).toBe(
      plain.usage.inputTokens + estimateTokens("a brief of forty characters, more or less"),
    );
    expect(shared.text).not.toBe(plain.text);
    expect(shared.provider).toBe("simulated");
  });
});
