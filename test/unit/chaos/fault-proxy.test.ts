import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FaultProxy, startFaultProxy } from "../../../local/chaos/fault-proxy.js";
import { type FaultRates, NO_FAULTS } from "../../../local/chaos/faults.js";
import { createPrng } from "../../../local/chaos/prng.js";
import { closeServer, listen } from "../../../local/http-util.js";

/** An upstream that counts requests and answers 200 with the path and the Host header it saw. */
let upstream: Server;
let upstreamUrl: string;
let hits = 0;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    hits += 1;
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ path: req.url, host: req.headers.host }));
    });
  });
  upstreamUrl = `http://127.0.0.1:${await listen(upstream, "127.0.0.1", 0)}`;
});
afterAll(async () => {
  await closeServer(upstream);
});

async function withProxy(
  rates: Partial<FaultRates>,
  hop: "delivery" | "qstash" | "redis",
  fn: (p: FaultProxy) => Promise<void>,
) {
  const proxy = await startFaultProxy({
    hop,
    upstream: upstreamUrl,
    rates: { ...NO_FAULTS, ...rates },
    prng: createPrng(1),
    delayMaxMs: 5,
    eligible: (_m, p) => p.startsWith("/internal/"),
  });
  try {
    hits = 0;
    await fn(proxy);
  } finally {
    await proxy.close();
  }
}

const post = (url: string) => fetch(url, { method: "POST", body: "{}" });

describe("startFaultProxy", () => {
  it("forwards untouched, keeping the Host header the caller used", async () => {
    await withProxy({}, "delivery", async (p) => {
      const res = await post(`${p.url}/internal/execute?x=1`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ path: "/internal/execute?x=1", host: new URL(p.url).host });
      expect(hits).toBe(1);
      expect(p.counts()).toEqual({});
    });
  });

  it("5xx before: answers 503 and the upstream never sees the request", async () => {
    await withProxy({ deliver5xx: 1 }, "delivery", async (p) => {
      expect((await post(`${p.url}/internal/execute`)).status).toBe(503);
      expect(hits).toBe(0);
      expect(p.counts()).toEqual({ deliver5xx: 1 });
    });
  });

  it("applied but answered 5xx: the upstream sees the request, the caller gets 503", async () => {
    await withProxy({ redisApplied5xx: 1 }, "redis", async (p) => {
      expect((await post(`${p.url}/internal/pipeline`)).status).toBe(503);
      expect(hits).toBe(1);
    });
  });

  it("lost answer: the upstream did the work, the caller's connection is dropped", async () => {
    await withProxy({ lostAnswer: 1 }, "delivery", async (p) => {
      await expect(post(`${p.url}/internal/execute`)).rejects.toThrow();
      expect(hits).toBeGreaterThanOrEqual(1);
    });
  });

  it("duplicate: the upstream sees the request twice, the caller gets one answer", async () => {
    await withProxy({ duplicate: 1 }, "delivery", async (p) => {
      expect((await post(`${p.url}/internal/execute`)).status).toBe(200);
      expect(hits).toBe(2);
    });
  });

  it("leaves ineligible requests alone, and drops connections while it has no upstream", async () => {
    await withProxy({ deliver5xx: 1 }, "delivery", async (p) => {
      expect((await post(`${p.url}/v1/runs`)).status).toBe(200);
      p.setUpstream(null);
      await expect(post(`${p.url}/v1/runs`)).rejects.toThrow();
      p.setUpstream(upstreamUrl);
      expect((await post(`${p.url}/v1/runs`)).status).toBe(200);
      expect(p.counts()).toEqual({});
    });
  });
});
