import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { closeServer, listen } from "../../local/http-util.js";
import { MAX_KEPT_RESPONSE_BYTES, type OutgoingRequest, sendAttempt } from "../../local/qstash/delivery.js";

/** A destination that records what it received and answers with `handler`. */
async function destination(
  handler: (req: IncomingMessage, res: ServerResponse, body: Buffer, socketRequests: number) => void,
) {
  const seen: { method: string; headers: IncomingMessage["headers"]; body: string }[] = [];
  const perSocket = new WeakMap<Socket, number>();
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      seen.push({ method: req.method ?? "", headers: req.headers, body: body.toString("utf8") });
      handler(req, res, body, n);
    });
  });
  server.on("connection", () => (connections += 1));
  const port = await listen(server, "127.0.0.1", 0);
  servers.push(server);
  return { url: `http://127.0.0.1:${port}/internal/execute`, seen, connections: () => connections };
}

/** A handler that never answers (for timeouts and aborts). */
const neverAnswers = (): void => undefined;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => closeServer(s)));
});

const post = (url: string, extra: Partial<OutgoingRequest> = {}): OutgoingRequest => ({
  url,
  method: "POST",
  headers: { "content-type": "application/json", "upstash-message-id": "msg_1" },
  body: Buffer.from('{"runId":"r","nodeId":"n"}'),
  timeoutMs: 5_000,
  ...extra,
});

describe("QStash emulator delivery (sendAttempt)", () => {
  it("sends method, headers and body, asks for no compression, and returns status, headers and body", async () => {
    const d = await destination((_req, res) => {
      res.setHeader("set-cookie", ["a=1", "b=2"]);
      res.writeHead(201, { "content-type": "application/json", "x-answer": "42" });
      res.end('{"ok":true}');
    });
    const out = await sendAttempt(post(d.url));
    expect(out).toMatchObject({ kind: "response", status: 201 });
    if (out.kind !== "response") throw new Error("no response");
    expect(out.body.toString("utf8")).toBe('{"ok":true}');
    expect(out.headers["x-answer"]).toEqual(["42"]);
    expect(out.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(d.seen[0]).toMatchObject({ method: "POST", body: '{"runId":"r","nodeId":"n"}' });
    expect(d.seen[0]?.headers["upstash-message-id"]).toBe("msg_1");
    expect(d.seen[0]?.headers["accept-encoding"]).toBeUndefined();
  });

  it("sends no body for GET", async () => {
    const d = await destination((_req, res) => res.end("x"));
    await sendAttempt(post(d.url, { method: "GET" }));
    expect(d.seen[0]).toMatchObject({ method: "GET", body: "" });
  });

  it("keeps connections alive across attempts", async () => {
    const d = await destination((_req, res) => res.end("ok"));
    for (let i = 0; i < 3; i++) expect(await sendAttempt(post(d.url))).toMatchObject({ kind: "response", status: 200 });
    expect(d.seen).toHaveLength(3);
    expect(d.connections()).toBe(1);
  });

  it("sends again on a new connection when the server resets a reused one before answering", async () => {
    // the server drops every second request that arrives on the same connection, as a server does that closed an
    // idle kept-alive socket just as the client reused it
    const d = await destination((req, res, _body, n) => (n === 2 ? req.socket.destroy() : res.end("ok")));
    expect(await sendAttempt(post(d.url))).toMatchObject({ kind: "response", status: 200 });
    expect(await sendAttempt(post(d.url))).toMatchObject({ kind: "response", status: 200 });
    expect(d.seen).toHaveLength(3);
    expect(d.connections()).toBe(2);
  });

  it("does not follow redirects: a 3xx is the attempt's answer", async () => {
    const d = await destination((_req, res) => {
      res.writeHead(302, { location: "/elsewhere" });
      res.end();
    });
    expect(await sendAttempt(post(d.url))).toMatchObject({ kind: "response", status: 302 });
    expect(d.seen).toHaveLength(1);
  });

  it(`keeps the first ${MAX_KEPT_RESPONSE_BYTES} bytes of a larger response`, async () => {
    const d = await destination((_req, res) => res.end(Buffer.alloc(MAX_KEPT_RESPONSE_BYTES + 1000, 0x61)));
    const out = await sendAttempt(post(d.url));
    if (out.kind !== "response") throw new Error("no response");
    expect(out.body.length).toBe(MAX_KEPT_RESPONSE_BYTES);
  });

  it("gives up after the timeout when the destination does not answer", async () => {
    const d = await destination(neverAnswers);
    expect(await sendAttempt(post(d.url, { timeoutMs: 100 }))).toEqual({
      kind: "error",
      error: "timeout after 100 ms",
    });
  });

  it("stops when its signal aborts", async () => {
    const d = await destination(neverAnswers);
    const ctrl = new AbortController();
    const pending = sendAttempt(post(d.url, { signal: ctrl.signal }));
    setTimeout(() => ctrl.abort(), 20);
    expect(await pending).toEqual({ kind: "error", error: "aborted" });
  });

  it("answers an already aborted signal without sending, and without an unhandled error", async () => {
    const d = await destination((_req, res) => res.end("ok"));
    const ctrl = new AbortController();
    ctrl.abort();
    expect(await sendAttempt(post(d.url, { signal: ctrl.signal }))).toEqual({ kind: "error", error: "aborted" });
    // an error event without a listener would fail this test file as an unhandled error
    await new Promise((r) => setTimeout(r, 50));
    expect(d.seen).toHaveLength(0);
  });

  it("reports a header Node refuses to send as a failed attempt", async () => {
    const d = await destination((_req, res) => res.end("ok"));
    const out = await sendAttempt(post(d.url, { headers: { "upstash-forward-x": "a\r\nb" } }));
    expect(out.kind).toBe("error");
    expect(d.seen).toHaveLength(0);
  });

  it("reports a refused connection and a bad URL as errors, never throwing", async () => {
    const d = await destination((_req, res) => res.end());
    const port = new URL(d.url).port;
    await closeServer(servers.pop() as Server);
    const refused = await sendAttempt(post(`http://127.0.0.1:${port}/x`));
    expect(refused.kind).toBe("error");
    expect(refused.kind === "error" && refused.error).toMatch(/ECONNREFUSED/);
    expect(await sendAttempt(post("not a url"))).toEqual({ kind: "error", error: "invalid URL not a url" });
    expect(await sendAttempt(post("ftp://127.0.0.1/x"))).toEqual({ kind: "error", error: "unsupported protocol ftp:" });
  });
});
