import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** One request received by a test destination. */
export interface Received {
  method: string;
  /** Path and query as received. */
  target: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Arrival time, ms (performance.now()). */
  at: number;
}

/** What the destination answers; `delayMs` holds the response back. */
export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
}

/** A local HTTP server recording every request, answering through `reply` (default 200 "ok"). */
export interface Destination {
  /** Absolute URL for `path` (e.g. `/hook?x=1`). */
  url(path?: string): string;
  received: Received[];
  /** Requests whose target starts with `prefix`. */
  on(prefix: string): Received[];
  /** Highest number of requests in flight at the same time so far. */
  maxConcurrent(): number;
  /** Resolves once `n` requests to `prefix` arrived; rejects after `timeoutMs`. */
  waitFor(prefix: string, n: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/**
 * Starts a recording destination on an ephemeral port of 127.0.0.1.
 * @param reply decides each response from the request and its 0-based index among requests to the same path.
 */
export async function startDestination(
  reply: (r: Received, indexForPath: number) => Reply = () => ({}),
): Promise<Destination> {
  const received: Received[] = [];
  const perPath = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r: Received = {
        method: req.method ?? "",
        target: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: performance.now(),
      };
      received.push(r);
      const path = r.target.split("?")[0] ?? "";
      const index = perPath.get(path) ?? 0;
      perPath.set(path, index + 1);
      const out = reply(r, index);
      setTimeout(() => {
        inFlight -= 1;
        res.writeHead(out.status ?? 200, out.headers ?? {});
        res.end(out.body ?? "ok");
      }, out.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const on = (prefix: string): Received[] => received.filter((r) => r.target.startsWith(prefix));
  return {
    url: (path = "/") => `http://127.0.0.1:${port}${path}`,
    received,
    on,
    maxConcurrent: () => maxInFlight,
    async waitFor(prefix, n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (on(prefix).length < n) {
        if (Date.now() > deadline) throw new Error(`timeout: ${on(prefix).length}/${n} requests to ${prefix}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return on(prefix);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
