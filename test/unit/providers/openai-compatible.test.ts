import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { FakeProviderServer } from "../../../local/fake-providers/harness.js";
import { startFakeOpenAI } from "../../../local/fake-providers/openai.js";
import { OpenAICompatibleProvider } from "../../../shared/providers/openai-compatible.js";
import { type GenerateRequest, ProviderError } from "../../../shared/providers/provider.js";
import { estimateTokens } from "../../../shared/providers/simulated.js";

const KEY = "sk-test";
const ANALYSIS = `Codebase brief.\n${"The module graph is layered; state lives in Redis. ".repeat(118)}`;

let fake: FakeProviderServer;
let provider: OpenAICompatibleProvider;

const req = (over: Partial<GenerateRequest> = {}): GenerateRequest => ({
  runId: "run_1",
  nodeId: "quality-reviewer",
  agent: "quality-reviewer",
  system: "You are a senior engineer reviewing quality.",
  prompt: "Review the quality of demo.",
  model: "gpt-6.1-terra",
  maxOutputTokens: 512,
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

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: KEY });
  provider = new OpenAICompatibleProvider({
    name: "openrouter",
    baseUrl: fake.baseUrl,
    apiKey: KEY,
    apiKeySecret: "OPENROUTER_API_KEY",
  });
});
afterAll(async () => fake?.close());
beforeEach(() => fake.reset());

describe("OpenAICompatibleProvider against the fake Chat Completions API", () => {
  it("answers with text, usage and stop reason, speaking the documented wire format", async () => {
    const r = await provider.generate(req({ temperature: 0.2 }));
    expect(r.text).toMatch(/^\[FAKE OPENAI gpt-6\.1-terra\] /);
    expect(r).toMatchObject({ model: "gpt-6.1-terra", stopReason: "end", simulated: false, provider: "openrouter" });
    expect(r.usage).toEqual({
      inputTokens: estimateTokens(req().system) + estimateTokens(req().prompt),
      outputTokens: estimateTokens(r.text),
    });
    const [call] = fake.calls();
    expect(call?.path).toBe("/v1/chat/completions");
    expect(call?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(call?.body).toMatchObject({
      model: "gpt-6.1-terra",
      max_tokens: 512,
      temperature: 0.2,
      messages: [
        { role: "system", content: req().system },
        { role: "user", content: req().prompt },
      ],
    });
  });

  it("sends the shared context as the first system message; a sibling gets it from the automatic cache", async () => {
    await provider.generate(req({ sharedContext: ANALYSIS }));
    const sibling = await provider.generate(
      req({ sharedContext: ANALYSIS, system: "You are a security engineer.", prompt: "Review the security of demo." }),
    );
    const shared = estimateTokens(ANALYSIS);
    const cached = Math.floor(shared / 128) * 128; // OpenAI caches in 128-token steps
    expect(sibling.usage.cacheReadTokens).toBe(cached);
    expect(sibling.usage.inputTokens).toBe(
      shared - cached + estimateTokens("You are a security engineer.") + estimateTokens("Review the security of demo."),
    );
    expect(sibling.usage.cacheWriteTokens).toBeUndefined();
    expect((fake.calls()[1]!.body as { messages: unknown[] }).messages[0]).toEqual({
      role: "system",
      content: ANALYSIS,
    });
  });

  it("reports max_tokens for finish_reason length", async () => {
    const r = await provider.generate(req({ maxOutputTokens: 4 }));
    expect(r.stopReason).toBe("max_tokens");
    expect(r.usage.outputTokens).toBeLessThanOrEqual(4);
  });

  it("fails non-retryable for finish_reason content_filter", async () => {
    fake.setBehaviour({ stopReason: "content_filter" });
    expect((await failure(provider.generate(req()))).kind).toBe("non-retryable");
  });

  it("maps 429 to rate-limited with Retry-After", async () => {
    fake.setBehaviour({ faults: [{ status: 429, retryAfterSeconds: 9 }] });
    expect(await failure(provider.generate(req()))).toMatchObject({ kind: "rate-limited", retryAfterSeconds: 9 });
  });

  it("reads x-ratelimit-reset-requests when Retry-After is missing", async () => {
    fake.setBehaviour({ faults: [{ status: 429, retryAfterSeconds: 42, omitRetryAfterHeader: true }] });
    expect(await failure(provider.generate(req()))).toMatchObject({ kind: "rate-limited", retryAfterSeconds: 42 });
  });

  it("does not wait out an exhausted quota (429 insufficient_quota)", async () => {
    fake.setBehaviour({
      faults: [
        {
          status: 429,
          type: "insufficient_quota",
          code: "insufficient_quota",
          message: "You exceeded your current quota.",
        },
      ],
    });
    const e = await failure(provider.generate(req()));
    expect(e.kind).toBe("non-retryable");
    expect(e.message).toMatch(/exceeded your current quota/);
  });

  it("maps 400 context_length_exceeded to non-retryable with the vendor message", async () => {
    fake.setBehaviour({ contextWindowTokens: 8 });
    const e = await failure(provider.generate(req()));
    expect(e.kind).toBe("non-retryable");
    expect(e.message).toMatch(/HTTP 400 context_length_exceeded: This model's maximum context length is 8 tokens/);
  });

  for (const status of [500, 503]) {
    it(`maps ${status} to retryable`, async () => {
      fake.setBehaviour({ faults: [{ status }] });
      expect((await failure(provider.generate(req()))).kind).toBe("retryable");
      expect(fake.calls()).toHaveLength(1);
    });
  }

  it("maps a timeout of the node's signal to retryable", async () => {
    fake.setBehaviour({ latencyMs: 60_000 });
    const ctl = new AbortController();
    const pending = provider.generate(req({ signal: ctl.signal }));
    await fake.waitForCalls(1);
    ctl.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
    expect(await failure(pending)).toMatchObject({ kind: "retryable" });
  });

  it("maps a refused connection to retryable", async () => {
    const closed = await startFakeOpenAI();
    const baseUrl = closed.baseUrl;
    await closed.close();
    const gone = new OpenAICompatibleProvider({ name: "ollama", baseUrl, apiKey: "x" });
    const e = await failure(gone.generate(req()));
    expect(e.kind).toBe("retryable");
    expect(e.message).toMatch(/^ollama: /);
  });

  it("fails non-retryable without calling anyone when the configured key secret is missing", async () => {
    const keyless = new OpenAICompatibleProvider({
      name: "groq",
      baseUrl: fake.baseUrl,
      apiKey: undefined,
      apiKeySecret: "GROQ_API_KEY",
    });
    const e = await failure(keyless.generate(req()));
    expect(e).toMatchObject({ kind: "non-retryable", message: "groq: API key secret GROQ_API_KEY is not set" });
    expect(fake.calls()).toHaveLength(0);
  });

  it("calls keyless servers without Authorization when no secret is configured (the fake then answers 401)", async () => {
    const keyless = new OpenAICompatibleProvider({ name: "ollama", baseUrl: fake.baseUrl });
    const e = await failure(keyless.generate(req()));
    expect(e.kind).toBe("non-retryable");
    expect(fake.calls()[0]?.headers.authorization).toBeUndefined();
  });
});
