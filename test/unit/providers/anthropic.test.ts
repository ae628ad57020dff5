import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeAnthropic } from "../../../local/fake-providers/anthropic.js";
import type { FakeProviderServer } from "../../../local/fake-providers/harness.js";
import { AnthropicProvider } from "../../../shared/providers/anthropic.js";
import { type GenerateRequest, ProviderError } from "../../../shared/providers/provider.js";
import { estimateTokens } from "../../../shared/providers/simulated.js";

const KEY = "sk-ant-test";
/** ~1500 tokens at 4 characters per token: above the 1024-token minimum the fake caches. */
const ANALYSIS = `Codebase brief.\n${"The module graph is layered; state lives in Redis. ".repeat(118)}`;

let fake: FakeProviderServer;
let clock = Date.parse("2026-11-20T12:00:00Z");
let provider: AnthropicProvider;

const req = (over: Partial<GenerateRequest> = {}): GenerateRequest => ({
  runId: "run_1",
  nodeId: "security-reviewer",
  agent: "security-reviewer",
  system: "You are an application security engineer.",
  prompt: "Review the security of demo.",
  model: "claude-haiku-4-5",
  maxOutputTokens: 512,
  attempt: 1,
  ...over,
});

/** The ProviderError a call fails with. */
async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKey: KEY, now: () => clock });
  provider = new AnthropicProvider({ apiKey: KEY, baseUrl: fake.baseUrl });
});
afterAll(async () => fake?.close());
beforeEach(() => fake.reset());

describe("AnthropicProvider against the fake Messages API", () => {
  it("answers with the model's text, usage and stop reason, speaking the documented wire format", async () => {
    const r = await provider.generate(req());
    expect(r.text).toMatch(/^\[FAKE ANTHROPIC claude-haiku-4-5\] /);
    expect(r).toMatchObject({ model: "claude-haiku-4-5", stopReason: "end", simulated: false, provider: "anthropic" });
    expect(r.usage).toEqual({
      inputTokens: estimateTokens(req().system) + estimateTokens(req().prompt),
      outputTokens: estimateTokens(r.text),
    });
    const [call] = fake.calls();
    expect(call?.path).toBe("/v1/messages");
    expect(call?.headers["x-api-key"]).toBe(KEY);
    expect(call?.headers["anthropic-version"]).toBe("2023-06-01");
    expect(call?.body).toMatchObject({
      model: "claude-haiku-4-5",
      max_tokens: 512,
      system: [{ type: "text", text: req().system }],
      messages: [{ role: "user", content: [{ type: "text", text: req().prompt }] }],
    });
  });

  it("sends the shared context first with cache_control, so siblings read what the first one wrote", async () => {
    const shared = estimateTokens(ANALYSIS);
    const first = await provider.generate(req({ sharedContext: ANALYSIS }));
    const sibling = await provider.generate(
      req({
        sharedContext: ANALYSIS,
        nodeId: "quality-reviewer",
        system: "You are a senior engineer reviewing quality.",
        prompt: "Review the quality of demo.",
      }),
    );
    expect(first.usage.cacheWriteTokens).toBe(shared);
    expect(first.usage.cacheReadTokens).toBeUndefined();
    expect(first.usage.inputTokens).toBe(estimateTokens(req().system) + estimateTokens(req().prompt));
    expect(sibling.usage.cacheReadTokens).toBe(shared);
    expect(sibling.usage.cacheWriteTokens).toBeUndefined();
    expect(sibling.usage.inputTokens).toBe(
      estimateTokens("You are a senior engineer reviewing quality.") + estimateTokens("Review the quality of demo."),
    );
    expect(fake.calls()[0]?.body).toMatchObject({
      system: [
        { type: "text", text: ANALYSIS, cache_control: { type: "ephemeral" } },
        { type: "text", text: req().system },
      ],
    });
  });

  it("writes the cache again once the 5-minute entry has expired", async () => {
    await provider.generate(req({ sharedContext: ANALYSIS }));
    clock += 5 * 60_000 + 1;
    const later = await provider.generate(req({ sharedContext: ANALYSIS }));
    expect(later.usage.cacheWriteTokens).toBe(estimateTokens(ANALYSIS));
    expect(later.usage.cacheReadTokens).toBeUndefined();
  });

  it("reports max_tokens when the answer is cut at maxOutputTokens", async () => {
    const r = await provider.generate(req({ maxOutputTokens: 5 }));
    expect(r.stopReason).toBe("max_tokens");
    expect(r.usage.outputTokens).toBeLessThanOrEqual(5);
  });

  it("fails non-retryable when the model refuses (stop_reason refusal)", async () => {
    fake.setBehaviour({ stopReason: "refusal" });
    const e = await failure(provider.generate(req()));
    expect(e.kind).toBe("non-retryable");
    expect(e.message).toMatch(/declined.*refusal/);
  });

  it("maps 429 to rate-limited with the Retry-After seconds", async () => {
    fake.setBehaviour({ faults: [{ status: 429, retryAfterSeconds: 7 }] });
    const e = await failure(provider.generate(req()));
    expect(e).toMatchObject({ kind: "rate-limited", retryAfterSeconds: 7 });
    expect(e.details).toMatchObject({
      status: 429,
      code: "rate_limit_error",
      requestId: expect.stringMatching(/^req_fake_\d{6}$/),
    });
  });

  it("reads anthropic-ratelimit-*-reset when Retry-After is missing", async () => {
    fake.setBehaviour({ faults: [{ status: 429, retryAfterSeconds: 30, omitRetryAfterHeader: true }] });
    clock = Date.now(); // the classifier compares the RFC 3339 reset with the real clock
    const e = await failure(provider.generate(req()));
    expect(e.kind).toBe("rate-limited");
    expect(e.retryAfterSeconds).toBeGreaterThanOrEqual(29);
    expect(e.retryAfterSeconds).toBeLessThanOrEqual(30);
  });

  it("maps 400 to non-retryable with Anthropic's message", async () => {
    fake.setBehaviour({ contextWindowTokens: 10 });
    const e = await failure(provider.generate(req()));
    expect(e.kind).toBe("non-retryable");
    expect(e.message).toMatch(/HTTP 400 invalid_request_error: prompt is too long: \d+ tokens > 10 maximum/);
  });

  for (const status of [500, 529]) {
    it(`maps ${status} to retryable`, async () => {
      fake.setBehaviour({ faults: [{ status }] });
      const e = await failure(provider.generate(req()));
      expect(e.kind).toBe("retryable");
      expect(e.details?.status).toBe(status);
    });
  }

  it("makes exactly one request per call: the SDK's own retries are off", async () => {
    fake.setBehaviour({ faults: [{ status: 529, times: 3 }] });
    await failure(provider.generate(req()));
    expect(fake.calls()).toHaveLength(1);
  });

  it("maps a timeout of the node's signal to retryable", async () => {
    fake.setBehaviour({ latencyMs: 60_000 });
    const ctl = new AbortController();
    const pending = provider.generate(req({ signal: ctl.signal }));
    await fake.waitForCalls(1);
    ctl.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
    const e = await failure(pending);
    expect(e.kind).toBe("retryable");
    expect(e.message).toMatch(/timed out/);
  });

  it("maps a wrong API key (401) to non-retryable", async () => {
    const wrong = new AnthropicProvider({ apiKey: "sk-ant-wrong", baseUrl: fake.baseUrl });
    const e = await failure(wrong.generate(req()));
    expect(e).toMatchObject({ kind: "non-retryable" });
    expect(e.message).toMatch(/401 authentication_error: invalid x-api-key/);
  });

  it("fails non-retryable without calling anyone when the key secret is missing", async () => {
    const keyless = new AnthropicProvider({
      name: "claude",
      apiKey: undefined,
      apiKeySecret: "CLAUDE_KEY",
      baseUrl: fake.baseUrl,
    });
    const e = await failure(keyless.generate(req()));
    expect(e.kind).toBe("non-retryable");
    expect(e.message).toBe("claude: API key secret CLAUDE_KEY is not set");
    expect(fake.calls()).toHaveLength(0);
  });
});
