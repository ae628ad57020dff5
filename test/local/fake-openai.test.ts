import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { FakeProviderServer } from "../../local/fake-providers/harness.js";
import { startFakeOpenAI } from "../../local/fake-providers/openai.js";

/** Contract tests of the fake OpenAI Chat Completions API, over raw HTTP, against the documented wire format. */

const KEY = "sk-fake";
const BIG = "b".repeat(4 * 1500);
let clock = Date.parse("2026-11-20T12:00:00Z");
let fake: FakeProviderServer;

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: KEY, now: () => clock });
});
afterAll(async () => fake?.close());
beforeEach(() => fake.reset());

const HEADERS = { "content-type": "application/json", authorization: `Bearer ${KEY}` };
const BODY = { model: "gpt-6.1-terra", messages: [{ role: "user", content: "Hello there." }] };

async function post(
  body: unknown,
  headers: Record<string, string> = HEADERS,
  path = "/v1/chat/completions",
): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(`${fake.url}${path}`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json(), headers: res.headers };
}

describe("fake OpenAI: request validation like the vendor", () => {
  const rejections: [string, () => Promise<{ status: number; json: any }>, number, string | null, RegExp][] = [
    [
      "no Authorization",
      () => post(BODY, { "content-type": "application/json" }),
      401,
      null,
      /didn't provide an API key/,
    ],
    [
      "a wrong key",
      () => post(BODY, { ...HEADERS, authorization: "Bearer nope" }),
      401,
      "invalid_api_key",
      /Incorrect API key/,
    ],
    ["a body that is not JSON", () => post("{nope"), 400, null, /could not parse the JSON body/],
    ["no model", () => post({ messages: BODY.messages }), 400, null, /must provide a model parameter/],
    ["no messages", () => post({ model: "m" }), 400, "missing_required_parameter", /'messages'/],
    ["an empty messages array", () => post({ ...BODY, messages: [] }), 400, "empty_array", /empty array/],
    [
      "a bad role",
      () => post({ ...BODY, messages: [{ role: "robot", content: "x" }] }),
      400,
      "invalid_value",
      /messages\[0\]\.role/,
    ],
    ["max_tokens 0", () => post({ ...BODY, max_tokens: 0 }), 400, "integer_below_min_value", /max_tokens/],
    ["an unknown path", () => post(BODY, HEADERS, "/v1/completions/x"), 404, null, /Invalid URL/],
  ];
  for (const [name, send, status, code, message] of rejections) {
    it(`answers ${status} for ${name}`, async () => {
      const r = await send();
      expect(r.status).toBe(status);
      expect(r.json.error).toMatchObject({ type: "invalid_request_error", code });
      expect(r.json.error).toHaveProperty("param");
      expect(r.json.error.message).toMatch(message);
    });
  }
});

describe("fake OpenAI: completions", () => {
  it("answers the documented chat.completion shape with x-request-id", async () => {
    const r = await post(BODY);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-request-id")).toMatch(/^req_fake_/);
    expect(r.json).toMatchObject({
      id: expect.stringMatching(/^chatcmpl-/),
      object: "chat.completion",
      created: Math.floor(clock / 1000),
      model: "gpt-6.1-terra",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: expect.stringMatching(/^\[FAKE OPENAI gpt-6\.1-terra\] /),
            refusal: null,
          },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: {
        prompt_tokens: 3,
        completion_tokens: expect.any(Number),
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    });
    expect(r.json.usage.total_tokens).toBe(r.json.usage.prompt_tokens + r.json.usage.completion_tokens);
  });

  it("cuts at max_completion_tokens (or max_tokens) with finish_reason length", async () => {
    expect((await post({ ...BODY, max_completion_tokens: 2 })).json.choices[0].finish_reason).toBe("length");
    const r = await post({ ...BODY, max_tokens: 2 });
    expect(r.json.choices[0].finish_reason).toBe("length");
    expect(r.json.usage.completion_tokens).toBe(2);
  });

  it("accepts text-part content and counts requests per model", async () => {
    expect(
      (await post({ model: "a", messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }] })).status,
    ).toBe(200);
    await post({ ...BODY, model: "b" });
    await post({ ...BODY, model: "b" });
    expect(fake.requestsByModel()).toEqual({ a: 1, b: 2 });
  });

  it("reports automatic prefix-cache hits in 128-token steps within 5 minutes", async () => {
    const body = (q: string) => ({
      ...BODY,
      messages: [
        { role: "system", content: BIG },
        { role: "user", content: q },
      ],
    });
    expect((await post(body("one"))).json.usage.prompt_tokens_details.cached_tokens).toBe(0);
    const hit = (await post(body("two"))).json.usage;
    expect(hit.prompt_tokens_details.cached_tokens).toBe(1408); // floor(1500 / 128) * 128
    expect(hit.prompt_tokens).toBe(1501);
    clock += 5 * 60_000 + 1;
    expect((await post(body("three"))).json.usage.prompt_tokens_details.cached_tokens).toBe(0);
  });

  it("answers context_length_exceeded above the context window", async () => {
    fake.setBehaviour({ contextWindowTokens: 2 });
    const r = await post(BODY);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({
      code: "context_length_exceeded",
      param: "messages",
      type: "invalid_request_error",
    });
  });
});

describe("fake OpenAI: programmed behaviour", () => {
  it("answers 429 with retry-after and x-ratelimit-*-requests", async () => {
    fake.setBehaviour({
      faults: [
        { status: 429, retryAfterSeconds: 20 },
        { status: 429, retryAfterSeconds: 3, omitRetryAfterHeader: true },
      ],
    });
    const a = await post(BODY);
    expect(a.status).toBe(429);
    expect(a.json.error).toMatchObject({ code: "rate_limit_exceeded" });
    expect(a.headers.get("retry-after")).toBe("20");
    expect(a.headers.get("x-ratelimit-reset-requests")).toBe("20s");
    const b = await post(BODY);
    expect(b.headers.get("retry-after")).toBeNull();
    expect(b.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect((await post(BODY)).status).toBe(200);
  });

  it("answers 5xx faults in the vendor's error shape", async () => {
    fake.setBehaviour({ faults: [{ status: 500 }, { status: 503 }] });
    expect((await post(BODY)).json.error).toMatchObject({
      type: "server_error",
      message: expect.stringMatching(/error while processing/),
    });
    expect((await post(BODY)).json.error.message).toMatch(/overloaded/);
  });

  it("answers a programmed finish reason", async () => {
    fake.setBehaviour({ stopReason: "content_filter" });
    expect((await post(BODY)).json.choices[0].finish_reason).toBe("content_filter");
  });
});
