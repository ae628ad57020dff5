/**
 * A fault-injecting HTTP proxy (node:http) for one hop of the chaos suite (faults.ts): it forwards every request to
 * its upstream origin unchanged (Host header included, so the worker still sees the proxy's origin as its own and
 * QStash signatures minted for the proxy's URL verify), and for the requests `eligible` accepts, draws a fault from
 * its seeded stream and applies it:
 * - `deliver5xx`, `publishRefused`, `redisRefused5xx`: answer 503 without forwarding;
 * - `publishApplied5xx`, `redisApplied5xx`: forward, wait for the answer, then answer 503 instead;
 * - `lostAnswer`: forward, wait for the answer, then drop the connection (the caller sees a reset);
 * - `duplicate`: forward twice concurrently, answer with the first;
 * - `deliveryDelay`, `redisDelay`: wait 0..delayMaxMs, then forward.
 * With no upstream (the worker is down) or an upstream connection error, the caller's connection is dropped, as a
 * dead server's would be.
 */
import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type ServerResponse,
} from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { closeServer, listen } from "../http-util.js";
import { chooseFault, type FaultCounts, type FaultKind, type FaultRates, type Hop } from "./faults.js";
import type { Prng } from "./prng.js";

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  hop: Exclude<Hop, "worker">;
  /** Upstream origin, e.g. `http://127.0.0.1:8079`; null while the upstream is down. */
  upstream: string | null;
  /** Rates, read at every request (the caller may change the object's fields). */
  rates: FaultRates;
  /** The hop's own seeded stream. */
  prng: Prng;
  /** Largest delay of the delay kinds, ms. */
  delayMaxMs: number;
  /** Which requests may get a fault (others are only forwarded), by method and path. */
  eligible(method: string, path: string): boolean;
  /** Called for every fault injected, with the request (e.g. to attribute it to the runs its body names). */
  onFault?(kind: FaultKind, method: string, path: string, body: Buffer): void;
  /** @default "127.0.0.1" */
  host?: string;
}

/** A running proxy. */
export interface FaultProxy {
  /** The proxy's origin, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Points the proxy at a new upstream origin, or at none (requests then see a dropped connection). */
  setUpstream(origin: string | null): void;
  /** Faults injected so far, by kind. */
  counts(): FaultCounts;
  /** Requests forwarded so far (a duplicate counts twice). */
  forwarded(): number;
  /** Stops the proxy and drops open connections. Never rejects. */
  close(): Promise<void>;
}

/** An upstream answer, fully read. */
interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Headers that belong to one connection, not to the message (RFC 9110 §7.6.1), plus the length we recompute. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "content-length",
]);

function copyHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
    stream.on("aborted", () => reject(new Error("aborted")));
  });
}

/**
 * Starts a proxy on an ephemeral port.
 * @throws the listen error.
 */
export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  let upstream = opts.upstream;
  const counts: FaultCounts = {};
  let forwarded = 0;
  const agent = new Agent({ keepAlive: true, maxSockets: 256, timeout: 4_000 });

  const forward = (req: IncomingMessage, body: Buffer): Promise<Answer> =>
    new Promise((resolve, reject) => {
      if (upstream === null) return reject(new Error("upstream down"));
      forwarded += 1;
      const target = new URL(req.url ?? "/", upstream);
      const headers = { ...copyHeaders(req.headers), "content-length": String(body.length) };
      const out = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname + target.search,
          method: req.method,
          headers,
          agent,
        },
        (res) => {
          readAll(res).then((b) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: b }), reject);
        },
      );
      out.on("error", reject);
      out.end(body);
    });

  const answer = (res: ServerResponse, a: Answer): void => {
    if (res.destroyed) return;
    res.writeHead(a.status, { ...copyHeaders(a.headers), "content-length": String(a.body.length) });
    res.end(a.body);
  };
  const unavailable = (res: ServerResponse, kind: FaultKind): void => {
    const text = JSON.stringify({ error: `chaos: ${kind}` });
    res.writeHead(503, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
    res.end(text);
  };
  const drop = (req: IncomingMessage, res: ServerResponse): void => {
    res.destroy();
    req.socket.destroy();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readAll(req);
    const method = req.method ?? "GET";
    const path = (req.url ?? "/").split("?")[0] as string;
    const kind = opts.eligible(method, path) ? chooseFault(opts.prng.next(), opts.hop, opts.rates) : null;
    if (kind) {
      counts[kind] = (counts[kind] ?? 0) + 1;
      opts.onFault?.(kind, method, path, body);
    }
    switch (kind) {
      case "deliver5xx":
      case "publishRefused":
      case "redisRefused5xx":
        return unavailable(res, kind);
      case "deliveryDelay":
      case "redisDelay":
        await sleep(Math.floor(opts.prng.next() * (opts.delayMaxMs + 1)));
        return answer(res, await forward(req, body));
      case "publishApplied5xx":
      case "redisApplied5xx":
        await forward(req, body);
        return unavailable(res, kind);
      case "lostAnswer":
        await forward(req, body);
        return drop(req, res);
      case "duplicate": {
        const second = forward(req, body).catch(() => undefined);
        const first = await forward(req, body);
        answer(res, first);
        await second;
        return;
      }
      default:
        return answer(res, await forward(req, body));
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => drop(req, res));
  });
  const host = opts.host ?? "127.0.0.1";
  const port = await listen(server, host, 0);
  return {
    url: `http://${host}:${port}`,
    setUpstream: (origin) => {
      upstream = origin;
    },
    counts: () => ({ ...counts }),
    forwarded: () => forwarded,
    close: async () => {
      await closeServer(server);
      agent.destroy();
    },
  };
}
