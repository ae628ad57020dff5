import { createHash } from "node:crypto";
import { Client, Receiver } from "@upstash/qstash";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, startLocalStack } from "../../local/stack.js";
import { type Destination, type Received, type Reply, startDestination } from "./helpers/destination.js";

/** Contract tests: the official @upstash/qstash Client and Receiver, unchanged, against the local emulator. */

let stack: LocalStack;
let client: Client;
let receiver: Receiver;
let dest: Destination;
/** Per-test reply programs, keyed by path prefix. */
const programs = new Map<string, (r: Received, i: number) => Reply>();

beforeAll(async () => {
  stack = await startLocalStack({ memory: true, redisPort: 0, qstashPort: 0, retrySpeedup: 1000 });
  client = new Client({ baseUrl: stack.qstashUrl, token: stack.qstashToken });
  receiver = new Receiver({ currentSigningKey: stack.signingKeys.current, nextSigningKey: stack.signingKeys.next });
  dest = await startDestination((r, i) => {
    for (const [prefix, program] of programs) if (r.target.startsWith(prefix)) return program(r, i);
    return {};
  });
});

afterAll(async () => {
  await stack?.close();
  await dest?.close();
});

afterEach(async () => {
  stack.setChaos({ duplicateDelivery: false, publishErrors: 0, deliveryDelayMs: 0 });
  await stack.idle();
});

/** A unique path for one test. */
function path(name: string): string {
  return `/${name}-${Math.random().toString(36).slice(2, 8)}`;
}

async function verify(r: Received, url: string): Promise<boolean> {
  return receiver.verify({ signature: String(r.headers["upstash-signature"]), body: r.body, url });
}

describe("publish and signed delivery", () => {
  it("delivers publishJSON with B5 headers and a signature the Receiver verifies against the exact URL", async () => {
    const p = path("pub");
    const url = dest.url(`${p}?x=1&y=%20z`);
    const res = await client.publishJSON({ url, body: { hello: "wörld" }, headers: { "X-Custom": "v1" } });
    expect(res.messageId).toMatch(/^msg_/);
    await stack.idle();
    const [got] = dest.on(p);
    expect(got).toBeDefined();
    expect(got!.target).toBe(`${p}?x=1&y=%20z`);
    expect(got!.method).toBe("POST");
    expect(got!.body).toBe('{"hello":"wörld"}');
    expect(got!.headers["x-custom"]).toBe("v1");
    expect(got!.headers["content-type"]).toBe("application/json");
    expect(got!.headers["user-agent"]).toBe("Upstash-QStash");
    expect(got!.headers["upstash-message-id"]).toBe(res.messageId);
    expect(got!.headers["upstash-retried"]).toBe("0");
    expect(await verify(got!, url)).toBe(true);
    await expect(verify(got!, dest.url(p))).rejects.toThrow(/invalid subject/);
    await expect(
      receiver.verify({ signature: String(got!.headers["upstash-signature"]), body: '{"hello":"tampered"}', url }),
    ).rejects.toThrow();
  });

  it("signs HS256 with iss/sub/exp/nbf/iat/jti/body claims (B6)", async () => {
    const p = path("claims");
    await client.publish({ url: dest.url(p), body: "raw text" });
    await stack.idle();
    const jwt = String(dest.on(p)[0]!.headers["upstash-signature"]);
    const [header, payload] = jwt
      .split(".")
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")));
    expect(header).toEqual({ alg: "HS256", typ: "JWT" });
    expect(payload.iss).toBe("Upstash");
    expect(payload.sub).toBe(dest.url(p));
    expect(payload.exp - payload.iat).toBe(300);
    expect(payload.nbf).toBe(payload.iat);
    expect(payload.jti).toMatch(/^jwt_/);
    expect(payload.body.replace(/=+$/, "")).toBe(createHash("sha256").update("raw text").digest("base64url"));
  });

  it("delivers batchJSON items, each verified", async () => {
    const p1 = path("batch-a");
    const p2 = path("batch-b");
    const res = await client.batchJSON([
      { url: dest.url(p1), body: { n: 1 } },
      { url: dest.url(p2), body: { n: 2 }, method: "PUT" },
    ]);
    expect(res).toHaveLength(2);
    await stack.idle();
    const [a] = dest.on(p1);
    const [b] = dest.on(p2);
    expect(a!.body).toBe('{"n":1}');
    expect(b!.method).toBe("PUT");
    expect(await verify(a!, dest.url(p1))).toBe(true);
    expect(await verify(b!, dest.url(p2))).toBe(true);
  });

  it("answers GET /v2/keys with the dev keys so QSTASH_DEV=true clients run unchanged", async () => {
    const port = new URL(stack.qstashUrl).port;
    const saved = process.env["QSTASH_DEV_PORT"];
    process.env["QSTASH_DEV_PORT"] = port;
    try {
      const devClient = new Client({ devMode: true });
      const devReceiver = new Receiver({ devMode: true });
      const p = path("devmode");
      await devClient.publishJSON({ url: dest.url(p), body: { dev: true } });
      await stack.idle();
      const [got] = dest.on(p);
      expect(
        await devReceiver.verify({
          signature: String(got!.headers["upstash-signature"]),
          body: got!.body,
          url: dest.url(p),
        }),
      ).toBe(true);
    } finally {
      if (saved === undefined) delete process.env["QSTASH_DEV_PORT"];
      else process.env["QSTASH_DEV_PORT"] = saved;
    }
  });

  it("rejects a wrong token with 401", async () => {
    const bad = new Client({ baseUrl: stack.qstashUrl, token: "wrong", retry: false });
    await expect(bad.publishJSON({ url: dest.url("/x"), body: {} })).rejects.toThrow(/Unauthorized/);
  });
});

describe("retries, callbacks and dead letters", () => {
  it("retries failures with the sped-up default backoff, then succeeds", async () => {
    const p = path("retry");
    programs.set(p, (_r, i) => ({ status: i < 2 ? 500 : 200 }));
    await client.publishJSON({ url: dest.url(p), body: { a: 1 }, retries: 3 });
    await stack.idle();
    const got = dest.on(p);
    expect(got.map((r) => r.headers["upstash-retried"])).toEqual(["0", "1", "2"]);
    // e^2.5 s = 12.18 s / 1000 -> ~12 ms; e^5 s = 148 s / 1000 -> ~148 ms.
    expect(got[2]!.at - got[1]!.at).toBeGreaterThanOrEqual(140);
    for (const r of got) expect(await verify(r, dest.url(p))).toBe(true);
  });

  it("calls the callback after every attempt with the B8 body", async () => {
    const p = path("cb-target");
    const cb = path("cb");
    programs.set(p, (_r, i) =>
      i === 0 ? { status: 503, body: "busy" } : { status: 201, body: "done ✓", headers: { "x-answer": "42" } },
    );
    const res = await client.publishJSON({
      url: dest.url(p),
      body: { job: 7 },
      callback: dest.url(cb),
      headers: { "X-Trace": "t1" },
    });
    await stack.idle();
    const calls = dest.on(cb);
    expect(calls).toHaveLength(2);
    for (const c of calls) expect(await verify(c, dest.url(cb))).toBe(true);
    const bodies = calls.map((c) => JSON.parse(c.body)).sort((x, y) => x.retried - y.retried);
    expect(bodies[0]).toMatchObject({
      status: 503,
      retried: 0,
      maxRetries: 3,
      sourceMessageId: res.messageId,
      url: dest.url(p),
      method: "POST",
    });
    expect(Buffer.from(bodies[0].body, "base64").toString()).toBe("busy");
    const last = bodies[1];
    expect(last.status).toBe(201);
    expect(last.retried).toBe(1);
    expect(Buffer.from(last.body, "base64").toString()).toBe("done ✓");
    expect(last.header["X-Answer"]).toEqual(["42"]);
    expect(Buffer.from(last.sourceBody, "base64").toString()).toBe('{"job":7}');
    expect(last.sourceHeader["X-Trace"]).toEqual(["t1"]);
    expect(typeof last.createdAt).toBe("number");
    expect(typeof last.notBefore).toBe("number");
    expect(last.dlqId).toBeUndefined();
    expect(calls[0]!.headers["content-type"]).toBe("application/json");
  });

  it("sends the failure callback and a dead letter after retries are exhausted", async () => {
    const p = path("fail-target");
    const fcb = path("fcb");
    programs.set(p, () => ({ status: 500, body: "nope" }));
    const before = stack.stats();
    const res = await client.publishJSON({
      url: dest.url(p),
      body: { doomed: true },
      retries: 2,
      failureCallback: dest.url(fcb),
      headers: { "Upstash-Failure-Callback-Forward-X-Run": "run_1" },
    });
    await stack.idle();
    expect(dest.on(p)).toHaveLength(3);
    const [f] = dest.on(fcb);
    expect(f).toBeDefined();
    expect(f!.headers["x-run"]).toBe("run_1");
    expect(await verify(f!, dest.url(fcb))).toBe(true);
    const body = JSON.parse(f!.body);
    expect(body).toMatchObject({
      status: 500,
      retried: 2,
      maxRetries: 2,
      sourceMessageId: res.messageId,
      url: dest.url(p),
    });
    expect(body.dlqId).toMatch(/^\d+-\d+$/);
    const dlq = await client.dlq.listMessages();
    const entry = dlq.messages.find((m) => m.messageId === res.messageId);
    expect(entry).toBeDefined();
    expect(entry!.dlqId).toBe(body.dlqId);
    expect(entry!.responseStatus).toBe(500);
    expect(entry!.responseBody).toBe("nope");
    const after = stack.stats();
    expect(after.qstashDeadLetters - before.qstashDeadLetters).toBe(1);
    expect(after.qstashFailureCallbacks - before.qstashFailureCallbacks).toBe(1);
    // 3 attempts at the destination + 1 failure callback.
    expect(after.qstashDeliveries - before.qstashDeliveries).toBe(4);
  });

  it("signs every attempt anew, so each retry carries its own jti (the worker accepts a token once)", async () => {
    const p = path("retry-jti");
    programs.set(p, (_r, i) => (i < 2 ? { status: 500 } : {}));
    await client.publishJSON({ url: dest.url(p), body: { n: 1 }, retries: 3 });
    await stack.idle();
    const got = dest.on(p);
    expect(got.map((r) => r.headers["upstash-retried"])).toEqual(["0", "1", "2"]);
    const jtis = got.map(
      (r) => JSON.parse(Buffer.from(String(r.headers["upstash-signature"]).split(".")[1]!, "base64url").toString()).jti,
    );
    expect(new Set(jtis).size).toBe(3);
    for (const r of got) expect(await verify(r, dest.url(p))).toBe(true);
  });

  it("fails at once on 489 with Upstash-NonRetryable-Error: true", async () => {
    const p = path("nonretry");
    programs.set(p, () => ({ status: 489, headers: { "Upstash-NonRetryable-Error": "true" } }));
    const res = await client.publishJSON({ url: dest.url(p), body: {}, retries: 5 });
    await stack.idle();
    expect(dest.on(p)).toHaveLength(1);
    const dlq = await client.dlq.listMessages();
    expect(dlq.messages.some((m) => m.messageId === res.messageId && m.responseStatus === 489)).toBe(true);
  });

  it("honours Retry-After (divided by the speedup) instead of the default backoff", async () => {
    const slow = await startLocalStack({ memory: true, redisPort: 0, qstashPort: 0, retrySpeedup: 10 });
    try {
      const c = new Client({ baseUrl: slow.qstashUrl, token: slow.qstashToken });
      const p = path("retry-after");
      programs.set(p, (_r, i) => (i === 0 ? { status: 429, headers: { "Retry-After": "3" } } : {}));
      await c.publishJSON({ url: dest.url(p), body: {} });
      await slow.idle();
      const [a, b] = dest.on(p);
      // Retry-After 3 s / 10 = 300 ms; the default backoff would be 12.18 s / 10 = 1218 ms.
      const gap = b!.at - a!.at;
      expect(gap).toBeGreaterThanOrEqual(280);
      expect(gap).toBeLessThan(1000);
    } finally {
      await slow.close();
    }
  });

  it("uses an Upstash-Retry-Delay expression", async () => {
    const p = path("retry-delay");
    programs.set(p, (_r, i) => ({ status: i < 2 ? 500 : 200 }));
    // retried = 0 then 1: 100 s and 200 s, divided by 1000 -> 100 ms, 200 ms.
    await client.publishJSON({ url: dest.url(p), body: {}, retryDelay: "100000 * pow(2, retried)" });
    await stack.idle();
    const [a, b, c] = dest.on(p);
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(90);
    expect(c!.at - b!.at).toBeGreaterThanOrEqual(190);
    await expect(client.publishJSON({ url: dest.url(p), body: {}, retryDelay: "require('fs')" })).rejects.toThrow(
      /Retry-Delay/,
    );
  });

  it("aborts an attempt after Upstash-Timeout and retries it", async () => {
    const p = path("timeout");
    programs.set(p, (_r, i) => (i === 0 ? { delayMs: 1500 } : {}));
    await client.publishJSON({ url: dest.url(p), body: {}, timeout: 1 });
    await stack.idle();
    const got = dest.on(p);
    expect(got.map((r) => r.headers["upstash-retried"])).toEqual(["0", "1"]);
    expect(got[1]!.at - got[0]!.at).toBeLessThan(1400);
  });
});

describe("dedup, delay, cancel, flow control", () => {
  it("deduplicates by Upstash-Deduplication-Id and by content", async () => {
    const p = path("dedup");
    const a = await client.publishJSON({ url: dest.url(p), body: { v: 1 }, deduplicationId: `d-${p}` });
    const b = await client.publishJSON({ url: dest.url(p), body: { v: 2 }, deduplicationId: `d-${p}` });
    expect(b.messageId).toBe(a.messageId);
    expect(b.deduplicated).toBe(true);
    const raw = await fetch(`${stack.qstashUrl}/v2/publish/${dest.url(p)}`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.qstashToken}`, "upstash-deduplication-id": `d-${p}` },
      body: "x",
    });
    expect(raw.status).toBe(202);
    const c1 = await client.publishJSON({ url: dest.url(p), body: { same: true }, contentBasedDeduplication: true });
    const c2 = await client.publishJSON({ url: dest.url(p), body: { same: true }, contentBasedDeduplication: true });
    const c3 = await client.publishJSON({ url: dest.url(p), body: { same: false }, contentBasedDeduplication: true });
    expect(c2.messageId).toBe(c1.messageId);
    expect(c3.messageId).not.toBe(c1.messageId);
    await stack.idle();
    expect(
      dest
        .on(p)
        .map((r) => r.body)
        .sort(),
    ).toEqual(['{"same":false}', '{"same":true}', '{"v":1}']);
  });

  it("waits for Upstash-Delay before delivering", async () => {
    const p = path("delay");
    const t0 = performance.now();
    await client.publishJSON({ url: dest.url(p), body: {}, delay: 1 });
    await stack.idle();
    expect(dest.on(p)[0]!.at - t0).toBeGreaterThanOrEqual(950);
  });

  it("cancels a delayed message (single and bulk by label) and shows it before", async () => {
    const p = path("cancel");
    const a = await client.publishJSON({ url: dest.url(p), body: { a: 1 }, delay: 30 });
    const msg = await client.messages.get(a.messageId);
    expect(msg.url).toBe(dest.url(p));
    expect(msg.notBefore).toBeGreaterThan(Date.now() + 25_000);
    expect(await client.messages.cancel(a.messageId)).toEqual({ cancelled: 1 });
    await expect(client.messages.get(a.messageId)).rejects.toThrow();
    await client.publishJSON({ url: dest.url(p), body: { b: 1 }, delay: 30, label: "cancel-me" });
    await client.publishJSON({ url: dest.url(p), body: { c: 1 }, delay: 30, label: "cancel-me" });
    expect(await client.messages.cancel({ filter: { label: "cancel-me" } })).toEqual({ cancelled: 2 });
    await stack.idle();
    expect(dest.on(p)).toHaveLength(0);
  });

  it("never runs more than `parallelism` deliveries of one flow-control key at once, FIFO", async () => {
    const p = path("fc");
    const probe = await startDestination(() => ({ delayMs: 60 }));
    try {
      const key = `fc${p.replace("/", "-")}`;
      for (let i = 0; i < 8; i++) {
        await client.publishJSON({ url: probe.url(`${p}?i=${i}`), body: { i }, flowControl: { key, parallelism: 2 } });
      }
      await new Promise((r) => setTimeout(r, 20));
      const info = await client.flowControl.get(key);
      expect(info.parallelismMax).toBe(2);
      expect(info.parallelismCount).toBe(2);
      expect(info.waitListSize).toBe(6);
      await stack.idle();
      expect(probe.received).toHaveLength(8);
      expect(probe.maxConcurrent()).toBe(2);
      // FIFO: deliveries start in publish order; two in flight at once may reach the probe in either order, so a
      // delivery arrives at most one place (parallelism − 1) away from its publish position, and none is missing
      const order = probe.received.map((r) => Number(new URL(r.target, "http://x").searchParams.get("i")));
      expect([...order].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      order.forEach((i, position) => {
        expect(Math.abs(i - position)).toBeLessThanOrEqual(1);
      });
    } finally {
      await probe.close();
    }
  });

  it("logs a delivery's DELIVERED time when its answer came back, before the next delivery of its key starts", async () => {
    const p = path("fc-times");
    const probe = await startDestination(() => ({ delayMs: 5 }));
    try {
      const key = `fc${p.replace("/", "-")}`;
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        ids.push(
          (
            await client.publishJSON({
              url: probe.url(`${p}?i=${i}`),
              body: { i },
              flowControl: { key, parallelism: 1 },
            })
          ).messageId,
        );
      }
      await stack.idle();
      const times = async (state: string) => {
        const res = await fetch(`${stack.qstashUrl}/v2/events?state=${state}&count=10000`, {
          headers: { authorization: `Bearer ${stack.qstashToken}` },
        });
        const out = (await res.json()) as { events: Array<{ messageId: string; time: number }> };
        return new Map(out.events.map((e) => [e.messageId, e.time]));
      };
      const [active, delivered] = [await times("ACTIVE"), await times("DELIVERED")];
      // one slot: each delivery starts when the one before it answered, never before that answer's logged time
      const starts = ids.map((id) => active.get(id)!).sort((a, b) => a - b);
      const ends = ids.map((id) => delivered.get(id)!).sort((a, b) => a - b);
      for (let k = 0; k + 1 < ids.length; k++) expect(ends[k]!).toBeLessThanOrEqual(starts[k + 1]!);
    } finally {
      await probe.close();
    }
  });

  it("limits a flow-control key to `rate` starts per period", async () => {
    const p = path("rate");
    const t0 = performance.now();
    for (let i = 0; i < 3; i++)
      await client.publishJSON({
        url: dest.url(p),
        body: { i },
        flowControl: { key: `rate${p.replace("/", "-")}`, rate: 2, period: 1 },
      });
    await stack.idle();
    const at = dest.on(p).map((r) => r.at - t0);
    expect(at).toHaveLength(3);
    // Two start in the first 1 s window, the third waits for the next one.
    expect(at[1]!).toBeLessThan(500);
    expect(at[2]!).toBeGreaterThanOrEqual(900);
  });
});

describe("chaos", () => {
  it("duplicateDelivery delivers every message and callback twice, each separately signed", async () => {
    const p = path("dup");
    const cb = path("dup-cb");
    // The two copies get different answers; each copy's answer must reach the callback URL.
    programs.set(p, (_r, i) => ({ body: i === 0 ? "first" : "second" }));
    stack.setChaos({ duplicateDelivery: true });
    const before = stack.stats();
    await client.publishJSON({ url: dest.url(p), body: { d: 1 }, callback: dest.url(cb) });
    await stack.idle();
    const got = dest.on(p);
    expect(got).toHaveLength(2);
    expect(got[0]!.headers["upstash-message-id"]).toBe(got[1]!.headers["upstash-message-id"]);
    expect(got[0]!.headers["upstash-signature"]).not.toBe(got[1]!.headers["upstash-signature"]);
    for (const r of got) expect(await verify(r, dest.url(p))).toBe(true);
    // One callback per delivered copy, each callback itself delivered twice.
    const calls = dest.on(cb);
    expect(calls).toHaveLength(4);
    const answers = calls.map((c) => Buffer.from(JSON.parse(c.body).body, "base64").toString()).sort();
    expect(answers).toEqual(["first", "first", "second", "second"]);
    const after = stack.stats();
    expect(after.qstashDeliveries - before.qstashDeliveries).toBe(6);
    expect(after.qstashCallbacks - before.qstashCallbacks).toBe(4);
  });

  it("publishErrors makes the next N publish/batch calls answer 503 without enqueueing", async () => {
    const p = path("pe");
    const noRetry = new Client({ baseUrl: stack.qstashUrl, token: stack.qstashToken, retry: false });
    const before = stack.stats().qstashMessagesPublished;
    stack.setChaos({ publishErrors: 2 });
    await expect(noRetry.publishJSON({ url: dest.url(p), body: {} })).rejects.toMatchObject({ status: 503 });
    await expect(noRetry.batchJSON([{ url: dest.url(p), body: {} }])).rejects.toMatchObject({ status: 503 });
    await noRetry.publishJSON({ url: dest.url(p), body: { third: true } });
    await stack.idle();
    expect(dest.on(p).map((r) => r.body)).toEqual(['{"third":true}']);
    expect(stack.stats().qstashMessagesPublished - before).toBe(1);
  });

  it("deliveryDelayMs delays every delivery; /__chaos and /__stats work over HTTP", async () => {
    const set = await fetch(`${stack.qstashUrl}/__chaos`, {
      method: "POST",
      body: JSON.stringify({ deliveryDelayMs: 300 }),
    });
    expect(await set.json()).toMatchObject({ deliveryDelayMs: 300, duplicateDelivery: false });
    const p = path("slow");
    const t0 = performance.now();
    await client.publishJSON({ url: dest.url(p), body: {} });
    await stack.idle();
    expect(dest.on(p)[0]!.at - t0).toBeGreaterThanOrEqual(280);
    const stats = (await (await fetch(`${stack.qstashUrl}/__stats`)).json()) as Record<string, number>;
    expect(stats["qstashDeliveries"]).toBeGreaterThan(0);
    expect(stats).toHaveProperty("redisRequests");
    const bad = await fetch(`${stack.qstashUrl}/__chaos`, {
      method: "POST",
      body: JSON.stringify({ publishErrors: -1 }),
    });
    expect(bad.status).toBe(400);
  });
});

describe("API surface", () => {
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${stack.qstashUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${stack.qstashToken}`, ...(init.headers ?? {}) },
    });

  it("shows a pending message as a B4 Message object", async () => {
    const p = path("view");
    const notBefore = Math.floor(Date.now() / 1000) + 60;
    const res = await client.publishJSON({
      url: dest.url(p),
      body: { v: "ü" },
      notBefore,
      headers: { "X-Thing": "t" },
      flowControl: { key: "view-key", parallelism: 3 },
      label: ["a", "b"],
      callback: dest.url("/never"),
    });
    const msg = await client.messages.get(res.messageId);
    expect(msg).toMatchObject({
      messageId: res.messageId,
      url: dest.url(p),
      method: "POST",
      body: '{"v":"ü"}',
      maxRetries: 3,
      notBefore: notBefore * 1000,
      flowControlKey: "view-key",
      parallelism: 3,
      label: "a",
      labels: ["a", "b"],
      callback: dest.url("/never"),
    });
    expect(msg.header).toMatchObject({ "X-Thing": ["t"], "Content-Type": ["application/json"] });
    expect(await client.messages.cancel({ filter: { flowControlKey: "view-key" } })).toEqual({ cancelled: 1 });
  });

  it("answers a bad batch item in-band and delivers the others", async () => {
    const p = path("batch-mixed");
    const res = await api("/v2/batch", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([
        { destination: dest.url(p), headers: { "content-type": "text/plain" }, body: "fine" },
        { destination: "not-a-url", headers: {} },
        { destination: dest.url(p), headers: { "upstash-retries": "x" } },
      ]),
    });
    expect(res.status).toBe(200);
    const out = (await res.json()) as Array<{ messageId?: string; error?: string }>;
    expect(out[0]!.messageId).toMatch(/^msg_/);
    expect(out[1]!.error).toMatch(/destination/);
    expect(out[2]!.error).toMatch(/Upstash-Retries/);
    await stack.idle();
    expect(dest.on(p).map((r) => r.body)).toEqual(["fine"]);
  });

  it("retries and deletes dead letters", async () => {
    const p = path("dlq");
    let fail = true;
    programs.set(p, () => ({ status: fail ? 500 : 200 }));
    const res = await client.publishJSON({ url: dest.url(p), body: { x: 1 }, retries: 0 });
    await stack.idle();
    const { messages } = await client.dlq.listMessages({ filter: { url: dest.url(p) } });
    expect(messages.map((m) => m.messageId)).toEqual([res.messageId]);
    fail = false;
    const retried = await client.dlq.retry({ dlqIds: [messages[0]!.dlqId] });
    expect(retried.responses).toHaveLength(1);
    await stack.idle();
    expect(dest.on(p)).toHaveLength(2);
    expect((await client.dlq.listMessages({ filter: { url: dest.url(p) } })).messages).toHaveLength(0);

    fail = true;
    await client.publishJSON({ url: dest.url(p), body: { x: 2 }, retries: 0 });
    await stack.idle();
    const again = await client.dlq.listMessages({ filter: { url: dest.url(p) } });
    await client.dlq.delete(again.messages[0]!.dlqId);
    expect((await client.dlq.listMessages({ filter: { url: dest.url(p) } })).messages).toHaveLength(0);
  });

  it("stops retrying a message cancelled while its attempt is in flight", async () => {
    const p = path("cancel-flight");
    programs.set(p, () => ({ status: 500, delayMs: 150 }));
    const res = await client.publishJSON({ url: dest.url(p), body: {}, retries: 5 });
    await dest.waitFor(p, 1);
    expect(await client.messages.cancel(res.messageId)).toEqual({ cancelled: 1 });
    await stack.idle();
    expect(dest.on(p)).toHaveLength(1);
  });

  it("logs lifecycle events", async () => {
    const p = path("events");
    const res = await client.publishJSON({ url: dest.url(p), body: {} });
    await stack.idle();
    const out = (await (await api(`/v2/events?messageId=${res.messageId}`)).json()) as {
      events: Array<{ state: string }>;
    };
    expect(out.events.map((e) => e.state).reverse()).toEqual(["CREATED", "ACTIVE", "DELIVERED"]);
  });

  it("rotates signing keys: deliveries are then signed with the old next key", async () => {
    const other = await startLocalStack({ memory: true, redisPort: 0, qstashPort: 0 });
    try {
      const before = other.signingKeys;
      const rotated = (await (
        await fetch(`${other.qstashUrl}/v2/keys/rotate`, {
          method: "POST",
          headers: { authorization: `Bearer ${other.qstashToken}` },
        })
      ).json()) as { current: string; next: string };
      expect(rotated.current).toBe(before.next);
      expect(other.signingKeys).toEqual(rotated);
      const p = path("rotated");
      await new Client({ baseUrl: other.qstashUrl, token: other.qstashToken }).publishJSON({
        url: dest.url(p),
        body: {},
      });
      await other.idle();
      const [got] = dest.on(p);
      // A receiver configured before the rotation still verifies (current fails, next succeeds).
      expect(
        await new Receiver({ currentSigningKey: before.current, nextSigningKey: before.next }).verify({
          signature: String(got!.headers["upstash-signature"]),
          body: got!.body,
          url: dest.url(p),
        }),
      ).toBe(true);
      // A receiver knowing only the old current key twice does not.
      await expect(
        new Receiver({ currentSigningKey: before.current, nextSigningKey: before.current }).verify({
          signature: String(got!.headers["upstash-signature"]),
          body: got!.body,
          url: dest.url(p),
        }),
      ).rejects.toThrow();
    } finally {
      await other.close();
    }
  });

  it("answers 501 for queues and URL groups, 404 for unknown messages", async () => {
    expect((await api("/v2/queues")).status).toBe(501);
    expect((await api("/v2/topics")).status).toBe(501);
    expect((await api("/v2/messages/msg_unknown")).status).toBe(404);
  });
});
