import { Client } from "@upstash/qstash";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, startLocalStack } from "../../local/stack.js";
import { type Destination, startDestination } from "./helpers/destination.js";

/**
 * Contract tests of the emulator's bulk actions (docs/upstash-protocols.md B3), driven by the official
 * @upstash/qstash Client: bulk cancel, DLQ list/delete/retry, their filters, `count` and `cursor`, and the refusal
 * of filter keys QStash does not know. Every test starts from an empty emulator (no message, no dead letter).
 */

let stack: LocalStack;
let client: Client;
let dest: Destination;
/** Paths whose deliveries fail with 500 (turned into dead letters with `retries: 0`). */
const failing = new Set<string>();

beforeAll(async () => {
  stack = await startLocalStack({ memory: true, redisPort: 0, qstashPort: 0, retrySpeedup: 1000 });
  client = new Client({ baseUrl: stack.qstashUrl, token: stack.qstashToken });
  dest = await startDestination((r) => {
    const path = r.target.split("?")[0]!;
    return failing.has(path) ? { status: 500, body: "down" } : {};
  });
});

afterAll(async () => {
  await stack?.close();
  await dest?.close();
});

afterEach(async () => {
  await client.messages.cancel({ all: true });
  let cursor: string | undefined;
  do cursor = (await client.dlq.delete({ all: true, cursor })).cursor;
  while (cursor);
  failing.clear();
  await stack.idle();
});

/** A unique path for one test. */
function path(name: string): string {
  return `/${name}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Publishes a message due in a minute (so it stays pending until cancelled). @returns its messageId. */
async function pending(url: string, opts: { label?: string | string[]; flowControlKey?: string } = {}) {
  const { flowControlKey, label } = opts;
  const res = await client.publishJSON({
    url,
    body: {},
    delay: 60,
    ...(label === undefined ? {} : { label }),
    ...(flowControlKey === undefined ? {} : { flowControl: { key: flowControlKey, parallelism: 1 } }),
  });
  return res.messageId;
}

/** Is message `id` still pending? */
async function isPending(id: string): Promise<boolean> {
  return client.messages.get(id).then(
    () => true,
    () => false,
  );
}

/** Publishes `n` messages to a failing `url` with no retries and waits until all are dead letters. */
async function deadLetters(url: string, n: number, label?: string): Promise<string[]> {
  failing.add(new URL(url).pathname);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await client.publishJSON({ url, body: { i }, retries: 0, ...(label ? { label } : {}) });
    ids.push(res.messageId);
  }
  await stack.idle();
  return ids;
}

describe("bulk cancel (DELETE /v2/messages)", () => {
  it("cancel by label touches only that label's messages", async () => {
    const p = path("label");
    const mine = [await pending(dest.url(p), { label: "run-a" }), await pending(dest.url(p), { label: "run-a" })];
    const both = await pending(dest.url(p), { label: ["run-b", "run-a"] });
    const other = [await pending(dest.url(p), { label: "run-b" }), await pending(dest.url(p))];
    expect(await client.messages.cancel({ filter: { label: "run-a" } })).toEqual({ cancelled: 3 });
    for (const id of [...mine, both]) expect(await isPending(id)).toBe(false);
    for (const id of other) expect(await isPending(id)).toBe(true);
    expect(await client.messages.cancel({ filter: { label: "run-a" } })).toEqual({ cancelled: 0 });
  });

  it("honours count: touches the oldest `count` matches and reports how many it cancelled", async () => {
    const p = path("count");
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await pending(dest.url(p), { label: "batch" }));
    const spare = await pending(dest.url(p), { label: "keep" });
    expect(await client.messages.cancel({ filter: { label: "batch" }, count: 2 })).toEqual({ cancelled: 2 });
    expect(await isPending(ids[0]!)).toBe(false);
    expect(await isPending(ids[1]!)).toBe(false);
    expect(await isPending(ids[2]!)).toBe(true);
    expect(await client.messages.cancel({ all: true, count: 1 })).toEqual({ cancelled: 1 });
    expect(await isPending(ids[2]!)).toBe(false);
    expect(await isPending(spare)).toBe(true);
  });

  it("honours url, host, path, flowControlKey and callerIp, OR within a key and AND across keys", async () => {
    const [pa, pb] = [path("a"), path("b")];
    const a1 = await pending(dest.url(pa), { flowControlKey: "fc-1", label: "x" });
    const a2 = await pending(dest.url(pa), { flowControlKey: "fc-2", label: "y" });
    const b1 = await pending(dest.url(pb), { flowControlKey: "fc-3", label: "x" });
    const host = new URL(dest.url()).host;
    expect(await client.messages.cancel({ filter: { host: "elsewhere.test" } })).toEqual({ cancelled: 0 });
    expect(await client.messages.cancel({ filter: { path: pa, label: "x" } })).toEqual({ cancelled: 1 });
    expect(await isPending(a1)).toBe(false);
    expect(await client.messages.cancel({ filter: { callerIp: "10.9.9.9" } })).toEqual({ cancelled: 0 });
    expect(await client.messages.cancel({ filter: { flowControlKey: ["fc-2", "fc-9"], host } })).toEqual({
      cancelled: 1,
    });
    expect(await isPending(a2)).toBe(false);
    expect(
      await client.messages.cancel({ filter: { url: [dest.url(pa), dest.url(pb)], callerIp: "127.0.0.1" } }),
    ).toEqual({ cancelled: 1 });
    expect(await isPending(b1)).toBe(false);
  });

  it("honours fromDate/toDate and never matches a URL group, queue or schedule it does not have", async () => {
    const p = path("dates");
    const id = await pending(dest.url(p));
    for (const filter of [{ urlGroup: "g" }, { queueName: "q" }, { scheduleId: "scd_1" }, { toDate: 1 }]) {
      expect(await client.messages.cancel({ filter })).toEqual({ cancelled: 0 });
    }
    expect(await isPending(id)).toBe(true);
    expect(await client.messages.cancel({ filter: { fromDate: Date.now() - 60_000, toDate: Date.now() } })).toEqual({
      cancelled: 1,
    });
  });

  it("cancels exactly the listed messageIds", async () => {
    const p = path("ids");
    const [a, b, c] = [await pending(dest.url(p)), await pending(dest.url(p)), await pending(dest.url(p))];
    expect(await client.messages.cancel([a, c])).toEqual({ cancelled: 2 });
    expect(await isPending(b)).toBe(true);
  });

  it("refuses an unknown filter key with 400 and cancels nothing", async () => {
    const p = path("typo");
    const id = await pending(dest.url(p), { label: "x" });
    const typo = { filter: { labeel: "x" } } as unknown as Parameters<typeof client.messages.cancel>[0];
    await expect(client.messages.cancel(typo)).rejects.toThrow(/unknown query parameter for \/v2\/messages: labeel/);
    await expect(client.messages.cancel({ filter: { label: "x", host: "h" } })).resolves.toEqual({ cancelled: 0 });
    expect(await isPending(id)).toBe(true);
  });
});

describe("DLQ list (GET /v2/dlq)", () => {
  it("by messageId returns just that one", async () => {
    const ids = await deadLetters(dest.url(path("dead")), 3);
    const res = await client.dlq.listMessages({ filter: { messageId: ids[1]! } });
    expect(res.messages.map((m) => m.messageId)).toEqual([ids[1]]);
    expect(res.cursor).toBeUndefined();
    expect((await client.dlq.listMessages()).messages).toHaveLength(3);
  });

  it("honours responseStatus, url, label, callerIp, dates; URL group, queue and schedule match nothing", async () => {
    const [pa, pb] = [path("a"), path("b")];
    const [a] = await deadLetters(dest.url(pa), 1, "red");
    const [b] = await deadLetters(dest.url(pb), 1, "blue");
    const ids = async (filter: Parameters<typeof client.dlq.listMessages>[0] & object) =>
      (await client.dlq.listMessages(filter)).messages.map((m) => m.messageId).sort();
    expect(await ids({ filter: { responseStatus: 500 } })).toEqual([a, b].sort());
    expect(await ids({ filter: { responseStatus: [404, 502] } })).toEqual([]);
    expect(await ids({ filter: { url: dest.url(pb) } })).toEqual([b]);
    expect(await ids({ filter: { label: ["red", "green"], callerIp: "127.0.0.1" } })).toEqual([a]);
    expect(await ids({ filter: { fromDate: Date.now() + 60_000 } })).toEqual([]);
    expect(await ids({ filter: { urlGroup: "g" } })).toEqual([]);
    expect(await ids({ filter: { queueName: "q" } })).toEqual([]);
    expect(await ids({ filter: { scheduleId: "scd_1" } })).toEqual([]);
  });

  it("pages with count and cursor, oldest first, without repeats", async () => {
    const ids = await deadLetters(dest.url(path("page")), 5, "paged");
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await client.dlq.listMessages({ count: 2, cursor, filter: { label: "paged" } });
      seen.push(...res.messages.map((m) => m.messageId));
      cursor = res.cursor;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual(ids);
    expect(pages).toBe(3);
  });
});

describe("DLQ delete and retry (DELETE /v2/dlq, POST /v2/dlq/retry)", () => {
  it("delete honours count and returns a cursor until every match is gone, leaving other entries", async () => {
    const mine = await deadLetters(dest.url(path("mine")), 5, "run-a");
    const theirs = await deadLetters(dest.url(path("theirs")), 2, "run-b");
    const first = await client.dlq.delete({ filter: { label: "run-a" }, count: 2 });
    expect(first.deleted).toBe(2);
    expect(first.cursor).toBeDefined();
    let total = first.deleted;
    let cursor = first.cursor;
    while (cursor) {
      const next = await client.dlq.delete({ filter: { label: "run-a" }, count: 2, cursor });
      total += next.deleted;
      cursor = next.cursor;
    }
    expect(total).toBe(5);
    const left = (await client.dlq.listMessages()).messages.map((m) => m.messageId);
    expect(left.sort()).toEqual([...theirs].sort());
    expect(left.some((id) => mine.includes(id))).toBe(false);
  });

  it("delete with no match reports 0 and no cursor; a single id deleted twice is a 404", async () => {
    const [id] = await deadLetters(dest.url(path("one")), 1);
    expect(await client.dlq.delete({ filter: { url: "https://nowhere.test/" } })).toEqual({ deleted: 0 });
    const [entry] = (await client.dlq.listMessages({ filter: { messageId: id! } })).messages;
    expect(await client.dlq.delete(entry!.dlqId)).toEqual({ deleted: 1 });
    await expect(client.dlq.delete(entry!.dlqId)).rejects.toThrow();
  });

  it("retry honours count and filters; an id list returns no cursor", async () => {
    const p = path("retry");
    await deadLetters(dest.url(p), 3, "again");
    failing.delete(p);
    const one = await client.dlq.retry({ filter: { label: "again" }, count: 1 });
    expect(one.responses).toHaveLength(1);
    expect(one.cursor).toBeDefined();
    const rest = await client.dlq.listMessages({ filter: { label: "again" } });
    expect(rest.messages).toHaveLength(2);
    const byIds = await client.dlq.retry(rest.messages.map((m) => m.dlqId));
    expect(byIds.responses).toHaveLength(2);
    expect(byIds.cursor).toBeUndefined();
    await stack.idle();
    expect(dest.on(p)).toHaveLength(6);
    expect((await client.dlq.listMessages()).messages).toHaveLength(0);
  });

  it("refuses an unknown filter key with 400 and deletes nothing", async () => {
    await deadLetters(dest.url(path("typo")), 2, "x");
    const typo = { filter: { labeel: "x" } } as unknown as Parameters<typeof client.dlq.delete>[0];
    await expect(client.dlq.delete(typo)).rejects.toThrow(/unknown query parameter for \/v2\/dlq: labeel/);
    await expect(client.dlq.retry(typo)).rejects.toThrow(/unknown query parameter for \/v2\/dlq: labeel/);
    // host and path filter a bulk cancel only; the DLQ refuses them.
    const host = { filter: { host: "127.0.0.1" } } as unknown as Parameters<typeof client.dlq.listMessages>[0];
    await expect(client.dlq.listMessages(host)).rejects.toThrow(/unknown query parameter for \/v2\/dlq: host/);
    // The client cannot send a bare typo with no count; this is the request the issue reported.
    const raw = await fetch(`${stack.qstashUrl}/v2/dlq?labeel=x`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${stack.qstashToken}` },
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({ error: "unknown query parameter for /v2/dlq: labeel" });
    expect((await client.dlq.listMessages()).messages).toHaveLength(2);
  });
});
