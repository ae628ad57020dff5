import { Receiver } from "@upstash/qstash";
import { describe, expect, it } from "vitest";
import { DEV_CURRENT_SIGNING_KEY, DEV_NEXT_SIGNING_KEY } from "../../local/qstash/credentials.js";
import { contentKey, Deduplicator, idKey } from "../../local/qstash/dedup.js";
import { parseDurationMs } from "../../local/qstash/duration.js";
import { type BulkEndpoint, DEFAULT_DLQ_COUNT, parseBulkQuery } from "../../local/qstash/filter.js";
import { FlowControlRegistry } from "../../local/qstash/flow-control.js";
import type { MessageRecord } from "../../local/qstash/message.js";
import { PublishRequestError, parseFlowControl, parsePublish } from "../../local/qstash/publish-request.js";
import { defaultBackoffMs, nextRetryDelayMs, retryAfterMs } from "../../local/qstash/retry.js";
import { compileRetryDelay, RetryDelayExpressionError } from "../../local/qstash/retry-expression.js";
import { signDelivery } from "../../local/qstash/signer.js";

describe("durations (docs/upstash-protocols.md B2)", () => {
  it.each([
    ["10s", 10_000],
    ["30", 30_000],
    ["5m", 300_000],
    ["1d10h30m", 86_400_000 + 36_000_000 + 1_800_000],
    ["6m5s", 365_000],
    ["250ms", 250],
    ["1.5h", 5_400_000],
  ])("%s -> %d ms", (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(["", "abc", "10x", "5m garbage"])("rejects %j", (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });
});

describe("retry waits (docs/upstash-protocols.md B5)", () => {
  it("follows min(86400, e^(2.5 n)) seconds", () => {
    expect(Math.round(defaultBackoffMs(1) / 1000)).toBe(12);
    expect(Math.round(defaultBackoffMs(2) / 1000)).toBe(148);
    expect(Math.round(defaultBackoffMs(3) / 60_000)).toBe(30);
    expect(defaultBackoffMs(5)).toBe(86_400_000);
  });

  it("reads Retry-After as seconds, HTTP date or Go duration, capped at one day", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs({ "retry-after": ["7"] }, now)).toBe(7000);
    expect(retryAfterMs({ "retry-after": ["Thu, 01 Jan 2026 00:00:30 GMT"] }, now)).toBe(30_000);
    expect(retryAfterMs({ "x-ratelimit-reset-tokens": ["6m5s"] }, now)).toBe(365_000);
    expect(retryAfterMs({ "retry-after": ["999999"] }, now)).toBe(86_400_000);
    expect(retryAfterMs({ "content-type": ["text/plain"] }, now)).toBeUndefined();
  });

  it("prefers Retry-After over the expression over the default, and divides by the speedup", () => {
    expect(nextRetryDelayMs({ retried: 0, speedup: 1000 })).toBeCloseTo(Math.exp(2.5), 5);
    expect(nextRetryDelayMs({ retried: 1, expression: (r) => 1000 * (r + 1), speedup: 10 })).toBe(200);
    expect(
      nextRetryDelayMs({ retried: 1, expression: () => 5, responseHeaders: { "retry-after": ["2"] }, speedup: 2 }),
    ).toBe(1000);
  });

  it("evaluates Upstash-Retry-Delay expressions with `retried` and the allowed functions only", async () => {
    const f = await compileRetryDelay("1000 * pow(2, retried) + max(0, floor(sqrt(retried)))");
    expect(f(0)).toBe(1000);
    expect(f(4)).toBe(16_002);
    await expect(compileRetryDelay("import('fs')")).rejects.toBeInstanceOf(RetryDelayExpressionError);
    await expect(compileRetryDelay("x + 1")).rejects.toBeInstanceOf(RetryDelayExpressionError);
    await expect(compileRetryDelay("a = 5")).rejects.toBeInstanceOf(RetryDelayExpressionError);
    await expect(compileRetryDelay("2 +")).rejects.toBeInstanceOf(RetryDelayExpressionError);
  });
});

describe("publish headers (docs/upstash-protocols.md B2)", () => {
  const base = {
    destination: "https://example.com/x?y=1",
    body: Buffer.from("{}"),
    callerIp: "127.0.0.1",
    now: 1_000_000,
  };

  it("reads every option and strips Upstash-Forward-", () => {
    const req = parsePublish({
      ...base,
      headers: {
        "content-type": "application/json",
        "upstash-method": "put",
        "upstash-delay": "10s",
        "upstash-retries": "2",
        "upstash-retry-delay": "1000",
        "upstash-timeout": "30s",
        "upstash-callback": "https://cb.example/ok",
        "upstash-callback-forward-x-a": "1",
        "upstash-failure-callback": "https://cb.example/fail",
        "upstash-failure-callback-retries": "5",
        "upstash-flow-control-key": "k",
        "upstash-flow-control-value": "parallelism=2, rate=5, period=10s",
        "upstash-label": "l1,l2",
        "upstash-forward-x-custom": "v",
        "upstash-deduplication-id": "d1",
      },
    });
    expect(req).toMatchObject({
      url: "https://example.com/x?y=1",
      method: "PUT",
      contentType: "application/json",
      notBefore: 1_010_000,
      maxRetries: 2,
      retryDelayExpression: "1000",
      timeoutMs: 30_000,
      forwardHeaders: { "x-custom": "v" },
      labels: ["l1", "l2"],
      deduplicationId: "d1",
      callback: { url: "https://cb.example/ok", method: "POST", headers: { "x-a": "1" } },
      failureCallback: { url: "https://cb.example/fail", retries: 5 },
      flowControl: { key: "k", parallelism: 2, rate: 5, periodMs: 10_000 },
    });
  });

  it("uses Upstash-Not-Before (unix seconds) over Upstash-Delay and defaults retries to 3", () => {
    const req = parsePublish({ ...base, headers: { "upstash-not-before": "2000", "upstash-delay": "5s" } });
    expect(req.notBefore).toBe(2_000_000);
    expect(req.maxRetries).toBe(3);
  });

  it("rejects non-URL destinations and malformed headers", () => {
    expect(() => parsePublish({ ...base, destination: "my-url-group", headers: {} })).toThrow(PublishRequestError);
    expect(() => parsePublish({ ...base, headers: { "upstash-retries": "-1" } })).toThrow(PublishRequestError);
    expect(() => parsePublish({ ...base, headers: { "upstash-delay": "soon" } })).toThrow(PublishRequestError);
    expect(() => parseFlowControl("k", "period=5s")).toThrow(PublishRequestError);
    expect(parseFlowControl("k", "parallelism=3,rate=1")).toEqual({
      key: "k",
      parallelism: 3,
      rate: 1,
      periodMs: 1000,
    });
  });
});

describe("signing (docs/upstash-protocols.md B6/B7)", () => {
  it("produces a JWT the official Receiver accepts for the exact URL and body only", async () => {
    const body = new TextEncoder().encode('{"a":"ü"}');
    const jwt = await signDelivery(DEV_CURRENT_SIGNING_KEY, "https://x.test/a?b=1", body);
    const receiver = new Receiver({ currentSigningKey: DEV_CURRENT_SIGNING_KEY, nextSigningKey: DEV_NEXT_SIGNING_KEY });
    expect(await receiver.verify({ signature: jwt, body: '{"a":"ü"}', url: "https://x.test/a?b=1" })).toBe(true);
    await expect(receiver.verify({ signature: jwt, body: '{"a":"u"}', url: "https://x.test/a?b=1" })).rejects.toThrow();
    await expect(receiver.verify({ signature: jwt, body: '{"a":"ü"}', url: "https://x.test/a" })).rejects.toThrow();
  });

  it("is rejected once expired (exp = iat + 300 s)", async () => {
    const receiver = new Receiver({ currentSigningKey: DEV_CURRENT_SIGNING_KEY, nextSigningKey: DEV_NEXT_SIGNING_KEY });
    const fresh = await signDelivery(
      DEV_CURRENT_SIGNING_KEY,
      "https://x.test/",
      new Uint8Array(),
      Date.now() - 295_000,
    );
    expect(await receiver.verify({ signature: fresh, body: "", url: "https://x.test/" })).toBe(true);
    const stale = await signDelivery(
      DEV_CURRENT_SIGNING_KEY,
      "https://x.test/",
      new Uint8Array(),
      Date.now() - 301_000,
    );
    await expect(receiver.verify({ signature: stale, body: "", url: "https://x.test/" })).rejects.toThrow();
  });
});

describe("deduplication window", () => {
  it("remembers ids for the window only and keys content by destination, type, headers and body", () => {
    const d = new Deduplicator(1000);
    d.remember(idKey("a"), "msg_1", 0);
    expect(d.lookup(idKey("a"), 999)).toBe("msg_1");
    expect(d.lookup(idKey("a"), 1000)).toBeUndefined();
    const c = {
      url: "https://x/",
      body: Buffer.from("b"),
      contentType: "text/plain",
      forwardHeaders: { a: "1", b: "2" },
    };
    expect(contentKey(c)).toBe(contentKey({ ...c, forwardHeaders: { b: "2", a: "1" } }));
    expect(contentKey(c)).not.toBe(contentKey({ ...c, body: Buffer.from("c") }));
    expect(contentKey(c)).not.toBe(contentKey({ ...c, url: "https://y/" }));
  });
});

describe("flow control registry", () => {
  it("starts at most `parallelism` at once and releases waiters in FIFO order", () => {
    const fc = new FlowControlRegistry();
    fc.configure({ key: "k", parallelism: 2, periodMs: 1000 });
    const started: string[] = [];
    for (const id of ["a", "b", "c", "d", "e"]) fc.enqueue("k", id, () => started.push(id));
    expect(started).toEqual(["a", "b"]);
    expect(fc.remove("k", "d")).toBe(true);
    fc.release("k");
    expect(started).toEqual(["a", "b", "c"]);
    fc.release("k");
    fc.release("k");
    expect(started).toEqual(["a", "b", "c", "e"]);
    expect(fc.info("k")).toMatchObject({ parallelismMax: 2, parallelismCount: 1, waitListSize: 0 });
  });

  it("starts at most `rate` per period and resumes in the next window", () => {
    let now = 0;
    const fc = new FlowControlRegistry(() => now);
    fc.configure({ key: "r", rate: 2, periodMs: 1000 });
    const started: number[] = [];
    for (let i = 0; i < 3; i++) fc.enqueue("r", String(i), () => started.push(i));
    expect(started).toEqual([0, 1]);
    now = 1000;
    fc.release("r");
    expect(started).toEqual([0, 1, 2]);
    fc.close();
  });

  it("holds everything while paused", () => {
    const fc = new FlowControlRegistry();
    fc.pause("p");
    const started: string[] = [];
    fc.enqueue("p", "x", () => started.push("x"));
    expect(started).toEqual([]);
    fc.resume("p");
    expect(started).toEqual(["x"]);
  });
});

describe("bulk filters (docs/upstash-protocols.md B3)", () => {
  const rec = (over: Partial<MessageRecord>): MessageRecord => ({
    id: "msg_1",
    kind: "message",
    url: "https://a.test/p",
    method: "POST",
    body: Buffer.alloc(0),
    forwardHeaders: {},
    maxRetries: 3,
    timeoutMs: 1000,
    labels: [],
    notBefore: 0,
    createdAt: 0,
    callerIp: "127.0.0.1",
    retried: 0,
    state: "CREATED",
    ...over,
  });

  const parse = (query: string, endpoint: BulkEndpoint = "messages") => {
    const r = parseBulkQuery(query, endpoint);
    if (!r.ok) throw new Error(r.error);
    return r.query;
  };

  it("ORs repeated values and ANDs different keys; no key means all", () => {
    const { filter: f, count } = parse("label=x&label=y&flowControlKey=k&count=100");
    expect(count).toBe(100);
    expect(f.all).toBe(false);
    expect(f.matches(rec({ labels: ["y"], flowControl: { key: "k", periodMs: 1000 } }))).toBe(true);
    expect(f.matches(rec({ labels: ["y"] }))).toBe(false);
    expect(f.matches(rec({ labels: ["z"], flowControl: { key: "k", periodMs: 1000 } }))).toBe(false);
    expect(parse("label=z,y").filter.matches(rec({ labels: ["y"] }))).toBe(true);
    expect(parse("count=100").filter.all).toBe(true);
    expect(parse("").count).toBeUndefined();
    expect(parse("host=a.test&path=/p").filter.matches(rec({}))).toBe(true);
    expect(parse("host=b.test").filter.matches(rec({}))).toBe(false);
    expect(parse("callerIP=127.0.0.1&fromDate=0&toDate=5").filter.matches(rec({ createdAt: 5 }))).toBe(true);
    expect(parse("toDate=4").filter.matches(rec({ createdAt: 5 }))).toBe(false);
  });

  it("matches a URL containing a comma whole, and an id list ignores every other filter", () => {
    expect(parse("url=https://a.test/p?x=1,2").filter.matches(rec({ url: "https://a.test/p?x=1,2" }))).toBe(true);
    const byIds = parse("messageIds=msg_1&label=nope").filter;
    expect(byIds.matches(rec({}))).toBe(true);
    expect(byIds.matches(rec({ id: "msg_2" }))).toBe(false);
  });

  it("tests the DLQ fields, defaults a DLQ page to 100 and an id list to no cap", () => {
    const dead = { dlqId: "1-0", responseStatus: 500 };
    expect(parse("responseStatus=404,500", "dlq").filter.matches(rec({}), dead)).toBe(true);
    expect(parse("responseStatus=404", "dlq").filter.matches(rec({}), dead)).toBe(false);
    expect(parse("messageId=msg_1", "dlq").filter.matches(rec({}), dead)).toBe(true);
    expect(parse("messageId=msg_2", "dlq").filter.matches(rec({}), dead)).toBe(false);
    expect(parse("dlqIds=1-0", "dlq").filter.matches(rec({}), dead)).toBe(true);
    expect(parse("", "dlq").count).toBe(DEFAULT_DLQ_COUNT);
    expect(parse("dlqIds=1-0&dlqIds=2-1", "dlq").count).toBeUndefined();
    expect(parse("cursor=17-3&count=2", "dlq")).toMatchObject({ cursor: "17-3", count: 2 });
    expect(parse("topicName=g", "dlq").filter.matches(rec({}), dead)).toBe(false);
  });

  it.each([
    ["labeel=x", "messages", /unknown query parameter for \/v2\/messages: labeel/],
    ["labeel=x", "dlq", /unknown query parameter for \/v2\/dlq: labeel/],
    ["host=a.test", "dlq", /unknown query parameter for \/v2\/dlq: host/],
    ["messageId=m", "messages", /unknown query parameter for \/v2\/messages: messageId/],
    ["cursor=1-0", "messages", /unknown query parameter for \/v2\/messages: cursor/],
    ["label=", "messages", /empty value/],
    ["label=,", "dlq", /empty value/],
    ["count=0", "messages", /count must be a positive integer/],
    ["count=ten", "dlq", /count must be a positive integer/],
    ["fromDate=yesterday", "dlq", /fromDate must be an integer/],
    ["cursor=abc", "dlq", /invalid cursor/],
  ] as const)("refuses %s on %s", (query, endpoint, error) => {
    const r = parseBulkQuery(query, endpoint);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });

  it("ignores the qstash_token auth parameter", () => {
    expect(parse("qstash_token=t").filter.all).toBe(true);
  });
});
