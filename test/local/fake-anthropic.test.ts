import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeAnthropic } from "../../local/fake-providers/anthropic.js";
import type { FakeProviderServer } from "../../local/fake-providers/harness.js";

/** Contract tests of the fake Anthropic Messages API, over raw HTTP, against the documented wire format. */

const KEY = "sk-ant-fake";
const BIG = "b".repeat(4 * 1500); // 1500 tokens at 4 characters per token
let clock = Date.parse("2026-11-20T12:00:00Z");
let fake: FakeProviderServer;

beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKey: KEY, now: () => clock });
});
afterAll(async () => fake?.close());
beforeEach(() => fake.reset());

const HEADERS = { "content-type": "application/json", "x-api-key": KEY, "anthropic-version": "2023-06-01" };
const BODY = { model: "claude-haiku-4-5", max_tokens: 256, messages: [{ role: "user", content: "Hello there." }] };

async function post(
  body: unknown,
  headers: Record<string, string> = HEADERS,
  path = "/v1/messages",
): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(`${fake.url}${path}`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json(), headers: res.headers };
}

/** A request whose system prompt is `BIG` marked as a cache breakpoint (optionally with a TTL). */
const cached = (ttl?: "5m" | "1h", user = "Review.") => ({
  ...BODY,
  system: [
    { type: "text", text: BIG, cache_control: ttl ? { type: "ephemeral", ttl } : { type: "ephemeral" } },
    { type: "text", text: "You review." },
  ],
  messages: [{ role: "user", content: user }],
});

describe("fake Anthropic: request validation like the vendor", () => {
  const rejections: [string, () => Promise<{ status: number; json: any }>, number, string, RegExp][] = [
    [
      "no x-api-key",
      () => post(BODY, { "content-type": "application/json", "anthropic-version": "2023-06-01" }),
      401,
      "authentication_error",
      /x-api-key/,
    ],
    [
      "a wrong x-api-key",
      () => post(BODY, { ...HEADERS, "x-api-key": "nope" }),
      401,
      "authentication_error",
      /invalid x-api-key/,
    ],
    [
      "no anthropic-version",
      () => post(BODY, { "content-type": "application/json", "x-api-key": KEY }),
      400,
      "invalid_request_error",
      /anthropic-version/,
    ],
    ["a body that is not JSON", () => post("{nope"), 400, "invalid_request_error", /parsing the body/],
    [
      "no model",
      () => post({ max_tokens: 5, messages: BODY.messages }),
      400,
      "invalid_request_error",
      /^model: Field required$/,
    ],
    [
      "no max_tokens",
      () => post({ model: "m", messages: BODY.messages }),
      400,
      "invalid_request_error",
      /^max_tokens: Field required$/,
    ],
    ["max_tokens 0", () => post({ ...BODY, max_tokens: 0 }), 400, "invalid_request_error", /max_tokens/],
    [
      "no messages",
      () => post({ model: "m", max_tokens: 5 }),
      400,
      "invalid_request_error",
      /^messages: Field required$/,
    ],
    ["an empty messages array", () => post({ ...BODY, messages: [] }), 400, "invalid_request_error", /messages/],
    [
      "a bad role",
      () => post({ ...BODY, messages: [{ role: "system", content: "x" }] }),
      400,
      "invalid_request_error",
      /messages\.0\.role/,
    ],
    [
      "five cache breakpoints",
      () =>
        post({
          ...BODY,
          messages: [
            {
              role: "user",
              content: Array.from({ length: 5 }, () => ({
                type: "text",
                text: "x",
                cache_control: { type: "ephemeral" },
              })),
            },
          ],
        }),
      400,
      "invalid_request_error",
      /maximum of 4 blocks with cache_control/,
    ],
    ["an unknown path", () => post(BODY, HEADERS, "/v1/complete"), 404, "not_found_error", /Not found/],
  ];
  for (const [name, send, status, type, message] of rejections) {
    it(`answers ${status} ${type} for ${name}`, async () => {
      const r = await send();
      expect(r.status).toBe(status);
      expect(r.json).toMatchObject({ type: "error", error: { type }, request_id: expect.stringMatching(/^req_fake_/) });
      expect(r.json.error.message).toMatch(message);
    });
  }
});

describe("fake Anthropic: completions", () => {
  it("answers the documented message shape with a request-id header", async () => {
    const r = await post(BODY);
    expect(r.status).toBe(200);
    expect(r.headers.get("request-id")).toMatch(/^req_fake_\d{6}$/);
    expect(r.json).toMatchObject({
      id: expect.stringMatching(/^msg_/),
      type: "message",
      role: "assistant",
      model: "claude-haiku-4-5",
      content: [
        { type: "text", text: expect.stringMatching(/^\[FAKE ANTHROPIC claude-haiku-4-5\] .*"Hello there\."/) },
      ],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: {
        input_tokens: 3,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: expect.any(Number),
        service_tier: "standard",
      },
    });
  });

  it("is deterministic and tells different prompts apart", async () => {
    const a = (await post(BODY)).json.content[0].text;
    expect((await post(BODY)).json.content[0].text).toBe(a);
    expect(
      (await post({ ...BODY, messages: [{ role: "user", content: "Something else." }] })).json.content[0].text,
    ).not.toBe(a);
  });

  it("cuts at max_tokens with stop_reason max_tokens", async () => {
    const r = await post({ ...BODY, max_tokens: 3 });
    expect(r.json.stop_reason).toBe("max_tokens");
    expect(r.json.usage.output_tokens).toBe(3);
    expect(r.json.content[0].text).toHaveLength(12);
  });

  it("counts requests per model", async () => {
    await post(BODY);
    await post(BODY);
    await post({ ...BODY, model: "claude-opus-5" });
    await post({ ...BODY, max_tokens: undefined }); // rejected, still counted as a request for its model
    expect(fake.requestsByModel()).toEqual({ "claude-haiku-4-5": 3, "claude-opus-5": 1 });
    expect(fake.calls().map((c) => c.status)).toEqual([200, 200, 200, 400]);
  });
});

describe("fake Anthropic: prompt cache", () => {
  it("writes a marked prefix, then reads it within 5 minutes, refreshing it on each hit", async () => {
    const first = (await post(cached())).json.usage;
    expect(first).toMatchObject({
      cache_creation_input_tokens: 1500,
      cache_read_input_tokens: 0,
      input_tokens: 3 + 2,
      cache_creation: { ephemeral_5m_input_tokens: 1500, ephemeral_1h_input_tokens: 0 },
    });
    clock += 4 * 60_000;
    const second = (await post(cached(undefined, "Another question."))).json.usage;
    expect(second).toMatchObject({
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 1500,
      input_tokens: 3 + 5,
    });
    clock += 4 * 60_000; // 8 minutes after the write, 4 after the refreshing hit
    expect((await post(cached())).json.usage.cache_read_input_tokens).toBe(1500);
    clock += 5 * 60_000 + 1;
    expect((await post(cached())).json.usage).toMatchObject({
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 1500,
    });
  });

  it("keeps a 1-hour entry for an hour and reports it as a 1h write", async () => {
    expect((await post(cached("1h"))).json.usage.cache_creation).toEqual({
      ephemeral_5m_input_tokens: 0,
      ephemeral_1h_input_tokens: 1500,
    });
    clock += 30 * 60_000;
    expect((await post(cached("1h"))).json.usage.cache_read_input_tokens).toBe(1500);
  });

  it("does not cache prefixes below the minimum, nor unmarked ones", async () => {
    const small = { ...BODY, system: [{ type: "text", text: "short", cache_control: { type: "ephemeral" } }] };
    await post(small);
    expect((await post(small)).json.usage).toMatchObject({
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });
    const unmarked = { ...BODY, system: BIG };
    await post(unmarked);
    expect((await post(unmarked)).json.usage).toMatchObject({ cache_read_input_tokens: 0, input_tokens: 1503 });
  });

  it("keys the cache by model and by the whole prefix", async () => {
    await post(cached());
    expect((await post({ ...cached(), model: "claude-opus-5" })).json.usage.cache_read_input_tokens).toBe(0);
    const changed = cached();
    changed.system[0] = { ...changed.system[0]!, text: `${BIG}!` };
    expect((await post(changed)).json.usage.cache_read_input_tokens).toBe(0);
  });
});

describe("fake Anthropic: programmed behaviour", () => {
  it("answers faults in order, each `times` times, then succeeds", async () => {
    fake.setBehaviour({ faults: [{ status: 529, times: 2 }, { status: 500 }] });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(BODY)).status);
    expect(statuses).toEqual([529, 529, 500, 200]);
  });

  it("answers 429 with retry-after and an RFC 3339 anthropic-ratelimit reset", async () => {
    fake.setBehaviour({ faults: [{ status: 429, retryAfterSeconds: 12 }] });
    const r = await post(BODY);
    expect(r.status).toBe(429);
    expect(r.json.error.type).toBe("rate_limit_error");
    expect(r.headers.get("retry-after")).toBe("12");
    expect(r.headers.get("anthropic-ratelimit-requests-remaining")).toBe("0");
    expect(r.headers.get("anthropic-ratelimit-requests-reset")).toBe(new Date(clock + 12_000).toISOString());
  });

  it("uses the vendor's error types by status, or the ones given", async () => {
    fake.setBehaviour({
      faults: [
        { status: 529 },
        { status: 413 },
        { status: 400, type: "invalid_request_error", message: "prompt is too long" },
      ],
    });
    expect((await post(BODY)).json.error).toEqual({ type: "overloaded_error", message: "Overloaded" });
    expect((await post(BODY)).json.error.type).toBe("request_too_large");
    expect((await post(BODY)).json.error).toEqual({ type: "invalid_request_error", message: "prompt is too long" });
  });

  it("validates before faulting: a bad request gets its 400 even when a 429 is programmed", async () => {
    fake.setBehaviour({ faults: [{ status: 429 }] });
    expect((await post({ model: "m", messages: BODY.messages })).status).toBe(400);
    expect((await post(BODY)).status).toBe(429);
  });

  it("holds answers for latencyMs and lets an aborting client go", async () => {
    fake.setBehaviour({ latencyMs: 60_000 });
    const ctl = new AbortController();
    const pending = fetch(`${fake.url}/v1/messages`, {
      method: "POST",
      headers: HEADERS,
      body: JSON.stringify(BODY),
      signal: ctl.signal,
    });
    await fake.waitForCalls(1);
    ctl.abort();
    await expect(pending).rejects.toThrow();
    expect(fake.calls()[0]?.status).toBe(0);
  });

  it("answers a fixed reply and stop reason when told to", async () => {
    fake.setBehaviour({ reply: "I can't help with that.", stopReason: "refusal" });
    expect((await post(BODY)).json).toMatchObject({
      content: [{ type: "text", text: "I can't help with that." }],
      stop_reason: "refusal",
    });
  });
});

describe("fake Anthropic: structured output as the AI SDK asks for it", () => {
  const schema = {
    type: "object",
    required: ["path", "securityIssue"],
    properties: { path: { type: "string", maxLength: 20 }, securityIssue: { type: "boolean" } },
  };

  it("answers native output_config.format with a text block of schema-valid JSON", async () => {
    const { json } = await post({ ...BODY, output_config: { format: { type: "json_schema", schema } } });
    expect(json.stop_reason).toBe("end_turn");
    expect(JSON.parse(json.content[0].text)).toEqual({ path: "[FAKE ANTHROPIC clau", securityIssue: true });
  });

  it("answers a forced tool with a tool_use block whose input matches the tool's schema", async () => {
    const { json } = await post({
      ...BODY,
      tools: [
        { name: "other", input_schema: { type: "object" } },
        { name: "json", input_schema: schema },
      ],
      tool_choice: { type: "tool", name: "json" },
    });
    expect(json.stop_reason).toBe("tool_use");
    expect(json.content).toEqual([
      {
        type: "tool_use",
        id: expect.stringMatching(/^toolu_fake_/),
        name: "json",
        input: { path: "[FAKE ANTHROPIC clau", securityIssue: true },
      },
    ]);
  });

  it("lets a fixed reply win, so a test can make the answer mismatch", async () => {
    fake.setBehaviour({ reply: "Sure! Here it is." });
    const { json } = await post({ ...BODY, output_config: { format: { type: "json_schema", schema } } });
    expect(json.content).toEqual([{ type: "text", text: "Sure! Here it is." }]);
  });
});
