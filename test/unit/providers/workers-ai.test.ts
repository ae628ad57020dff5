import { describe, expect, it } from "vitest";
import { createFakeWorkersAiBinding } from "../../../local/fake-providers/workers-ai.js";
import { type GenerateRequest, ProviderError } from "../../../shared/providers/provider.js";
import { DEFAULT_RETRY_AFTER_SECONDS } from "../../../shared/providers/retry-after.js";
import { estimateTokens } from "../../../shared/providers/simulated.js";
import { WorkersAiProvider } from "../../../shared/providers/workers-ai.js";

const MODEL = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";
const req = (over: Partial<GenerateRequest> = {}): GenerateRequest => ({
  runId: "run_1",
  nodeId: "n",
  agent: "a",
  system: "You review.",
  prompt: "Review demo.",
  model: MODEL,
  maxOutputTokens: 256,
  attempt: 1,
  ...over,
});

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe("WorkersAiProvider with a fake env.AI binding", () => {
  it("answers with the binding's text and usage; shared context is merged into the system prompt", async () => {
    const ai = createFakeWorkersAiBinding();
    const r = await new WorkersAiProvider({ binding: ai }).generate(req({ sharedContext: "BRIEF" }));
    expect(r.text).toMatch(/^\[FAKE WORKERS-AI @cf\/meta\/llama-3\.3-70b-instruct-fp8-fast\] /);
    expect(r).toMatchObject({ stopReason: "end", simulated: false, provider: "workers-ai" });
    expect(r.usage).toEqual({
      inputTokens: estimateTokens("BRIEF\n\nYou review.") + estimateTokens("Review demo."),
      outputTokens: estimateTokens(r.text),
    });
    const [call] = ai.calls();
    expect(call?.model).toBe(MODEL);
    expect(call?.inputs).toMatchObject({
      max_tokens: 256,
      messages: [
        { role: "system", content: "BRIEF\n\nYou review." },
        { role: "user", content: "Review demo." },
      ],
    });
  });

  it("maps capacity error 3040 to rate-limited (no headers: default wait)", async () => {
    const ai = createFakeWorkersAiBinding();
    ai.setBehaviour({ faults: [{ code: 3040, message: "Capacity temporarily exceeded, please try again." }] });
    const e = await failure(new WorkersAiProvider({ binding: ai }).generate(req()));
    expect(e).toMatchObject({ kind: "rate-limited", retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS });
  });

  it("maps invalid input 5007 to non-retryable with the binding's message", async () => {
    const ai = createFakeWorkersAiBinding();
    ai.setBehaviour({ faults: [{ code: 5007, message: "Input is invalid" }] });
    const e = await failure(new WorkersAiProvider({ binding: ai }).generate(req()));
    expect(e.kind).toBe("non-retryable");
    expect(e.message).toMatch(/5007: Input is invalid/);
  });

  it("maps an unknown binding error to retryable", async () => {
    const ai = createFakeWorkersAiBinding();
    ai.setBehaviour({ faults: [{ code: 3043, message: "Internal server error" }] });
    expect((await failure(new WorkersAiProvider({ binding: ai }).generate(req()))).kind).toBe("retryable");
  });

  it("maps an aborted call to retryable", async () => {
    const ai = createFakeWorkersAiBinding();
    ai.setBehaviour({ latencyMs: 60_000 });
    const ctl = new AbortController();
    const pending = new WorkersAiProvider({ binding: ai }).generate(req({ signal: ctl.signal }));
    ctl.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
    expect(await failure(pending)).toMatchObject({ kind: "retryable" });
  });

  it("fails non-retryable when the worker has no AI binding", async () => {
    const e = await failure(new WorkersAiProvider({ binding: undefined, bindingName: "AI" }).generate(req()));
    expect(e).toMatchObject({
      kind: "non-retryable",
      message: "workers-ai: the worker has no Workers AI binding named AI",
    });
  });
});
