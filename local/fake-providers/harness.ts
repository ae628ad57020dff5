import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { estimateTokens } from "../../shared/providers/simulated.js";
import { BodyTooLargeError, closeServer, listen, readBody } from "../http-util.js";
import { DEFAULT_CACHE_TTL_MS, PromptCache } from "./prompt-cache.js";

/**
 * A failure a fake provider answers with instead of a completion, as the vendor would: the vendor's error body and
 * status, plus rate-limit headers for 429.
 */
export interface FakeFault {
  /** HTTP status, e.g. 429, 400, 500, 529. */
  status: number;
  /** How many consecutive requests get this answer. @default 1 */
  times?: number;
  /** Error message. @default the vendor's usual wording for the status */
  message?: string;
  /** Vendor error type (Anthropic `error.type`, OpenAI `error.type`). @default from the status */
  type?: string;
  /** OpenAI `error.code`, e.g. `context_length_exceeded`, `insufficient_quota`. */
  code?: string;
  /** For 429: seconds until the limit resets; sets `retry-after` and the vendor's reset headers. @default 1 */
  retryAfterSeconds?: number;
  /** For 429: leave out `retry-after`, so only the vendor's own reset headers say when to retry. */
  omitRetryAfterHeader?: boolean;
  /** Extra response headers. */
  headers?: Record<string, string>;
}

/** How a fake provider behaves; {@link FakeProviderServer.setBehaviour} replaces the whole behaviour. */
export interface FakeBehaviour {
  /** Failures for the next requests, consumed in order (each `times` times); afterwards requests succeed. */
  faults?: FakeFault[];
  /** Delay in ms before every answer (a client abort ends the wait). @default 0 */
  latencyMs?: number;
  /** Fixed completion text instead of the deterministic `[FAKE <VENDOR> <model>] …` echo. */
  reply?: string;
  /** Raw stop/finish reason to answer with, e.g. `refusal` (Anthropic) or `content_filter` (OpenAI). */
  stopReason?: string;
  /** Context window in tokens; longer prompts get the vendor's "too long" 400. @default unlimited */
  contextWindowTokens?: number;
  /** A provider outage: every valid request for one of its `models` gets its fault (`times` ignored) until the
   * behaviour is replaced (recovery) or the fake's clock reaches its `untilMs`; `faults` wait meanwhile. */
  outage?: FakeOutage;
}

/** An outage of a fake (see {@link FakeBehaviour.outage}), e.g. `{status: 529}` (Anthropic overloaded). */
export interface FakeOutage extends FakeFault {
  /** Models that fail; omitted: every model. */
  models?: string[];
  /** Ms since epoch (the fake's clock) when the outage ends by itself; omitted: until the behaviour is replaced. */
  untilMs?: number;
}

/** One request a fake received. */
export interface FakeCall {
  /** 1-based arrival order. */
  seq: number;
  /** Arrival time, ms since epoch (from the fake's clock). */
  at: number;
  method: string;
  /** Request path without query. */
  path: string;
  /** Request headers, names lower-case. */
  headers: Record<string, string>;
  /** Parsed JSON body, or undefined when it was not JSON. */
  body: unknown;
  /** `model` of the body, when it names one. */
  model?: string | undefined;
  /** Status answered; 0 while the request is still pending or when the client went away. */
  status: number;
  /** Usage the fake answered with, in the vendor's own field names. */
  usage?: Record<string, unknown> | undefined;
}

/** Options of a fake provider server. */
export interface FakeServerOptions {
  /** Port, 0 = ephemeral. @default 0 */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** The only API key accepted; undefined accepts any non-empty key. */
  apiKey?: string;
  /** Clock in ms since epoch (prompt-cache expiry, rate-limit reset times). @default Date.now */
  now?: () => number;
  /** Smallest prefix in tokens the prompt cache stores (Anthropic: 1024-4096 by model; OpenAI: 1024). @default 1024 */
  minCacheableTokens?: number;
}

/** A running fake provider. */
export interface FakeProviderServer {
  /** Origin, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** API root to give the SDK: `<url>/v1`. */
  baseUrl: string;
  /** Requests received so far (copies), in arrival order. */
  calls(): FakeCall[];
  /** Number of requests received per model id. */
  requestsByModel(): Record<string, number>;
  /** Resolves once at least `n` requests have arrived (for tests that act while a request is pending). */
  waitForCalls(n: number): Promise<void>;
  /** Replaces the behaviour (faults, latency, reply…). */
  setBehaviour(b: FakeBehaviour): void;
  /** Clears calls, prompt cache and behaviour. */
  reset(): void;
  /** Stops the server; pending requests are dropped. Never rejects. */
  close(): Promise<void>;
}

/** A request as a vendor adapter sees it. */
export interface FakeRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Parsed JSON body; undefined when the body is not JSON (see `rawBody`). */
  body: unknown;
  rawBody: string;
}

/** A response an adapter produces. */
export interface FakeAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Usage to record on the call. */
  usage?: Record<string, unknown> | undefined;
}

/** What the harness lends an adapter for one request. */
export interface FakeContext {
  seq: number;
  nowMs: number;
  behaviour: FakeBehaviour;
  cache: PromptCache;
  cacheTtlMs: number;
  minCacheableTokens: number;
  /** Request id for this answer (`req_fake_<seq>`). */
  requestId: string;
}

/** The vendor-specific half of a fake: request validation, the completion, and the vendor's error shapes. */
export interface VendorAdapter {
  /** Path prefix of the API, e.g. `/v1`. */
  apiRoot: string;
  /** Header carrying the request id (`request-id` for Anthropic, `x-request-id` for OpenAI). */
  requestIdHeader: string;
  /** Answers auth and shape errors like the vendor, or undefined when the request is acceptable. */
  reject(req: FakeRequest, ctx: FakeContext, apiKey: string | undefined): FakeAnswer | undefined;
  /** Answers a programmed fault in the vendor's error shape. */
  fault(fault: FakeFault, ctx: FakeContext): FakeAnswer;
  /** Answers a valid request with a completion. */
  complete(req: FakeRequest, ctx: FakeContext): FakeAnswer;
}

/** Largest request body accepted, bytes (Anthropic's Messages API limit is 32 MB; "Errors", request size limits). */
export const FAKE_MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * Starts a fake provider around a vendor adapter: reads and records every request, applies the programmed
 * behaviour (latency, then validation, then the next fault, then the completion) and answers in the vendor's
 * wire format.
 * @throws the listen error (e.g. `EADDRINUSE`).
 */
export async function startFakeServer(opts: FakeServerOptions, adapter: VendorAdapter): Promise<FakeProviderServer> {
  const now = opts.now ?? Date.now;
  const cache = new PromptCache();
  const calls: FakeCall[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const timers = new Set<{ timer: ReturnType<typeof setTimeout>; resolve: () => void }>();
  let behaviour: FakeBehaviour = {};
  let faults: FakeFault[] = [];
  let seq = 0;

  const takeFault = (): FakeFault | undefined => {
    const head = faults[0];
    if (!head) return undefined;
    const left = (head.times ?? 1) - 1;
    faults = left > 0 ? [{ ...head, times: left }, ...faults.slice(1)] : faults.slice(1);
    return head;
  };

  const sleep = (ms: number, res: ServerResponse): Promise<void> =>
    new Promise((resolve) => {
      const entry = { timer: setTimeout(() => done(), ms), resolve };
      const done = (): void => {
        clearTimeout(entry.timer);
        timers.delete(entry);
        res.off("close", done);
        resolve();
      };
      timers.add(entry);
      res.on("close", done);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let raw: Buffer;
    try {
      raw = await readBody(req, FAKE_MAX_BODY_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError)
        return send(res, { status: 413, body: { error: { message: err.message } } });
      throw err;
    }
    seq += 1;
    const rawBody = raw.toString("utf8");
    let body: unknown;
    try {
      body = rawBody ? JSON.parse(rawBody) : undefined;
    } catch {
      body = undefined;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    const path = (req.url ?? "/").split("?")[0] as string;
    const model = isRecord(body) && typeof body.model === "string" ? body.model : undefined;
    const call: FakeCall = { seq, at: now(), method: req.method ?? "GET", path, headers, body, model, status: 0 };
    calls.push(call);
    for (const w of waiters.splice(0))
      if (calls.length >= w.n) w.resolve();
      else waiters.push(w);

    const current = behaviour;
    if ((current.latencyMs ?? 0) > 0) await sleep(current.latencyMs as number, res);
    if (res.destroyed || res.writableEnded) return;
    const ctx: FakeContext = {
      seq: call.seq,
      nowMs: now(),
      behaviour: current,
      cache,
      cacheTtlMs: DEFAULT_CACHE_TTL_MS,
      minCacheableTokens: opts.minCacheableTokens ?? 1024,
      requestId: `req_fake_${String(call.seq).padStart(6, "0")}`,
    };
    const fr: FakeRequest = { method: call.method, path, headers, body, rawBody };
    let answer = adapter.reject(fr, ctx, opts.apiKey);
    if (!answer) {
      const o = current.outage;
      const down =
        o && (o.untilMs === undefined || ctx.nowMs < o.untilMs) && (!o.models || o.models.includes(model ?? ""));
      const fault = down ? o : takeFault();
      answer = fault ? adapter.fault(fault, ctx) : adapter.complete(fr, ctx);
    }
    call.status = answer.status;
    call.usage = answer.usage;
    send(res, { ...answer, headers: { [adapter.requestIdHeader]: ctx.requestId, ...answer.headers } });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) send(res, { status: 500, body: { error: { message: String(err) } } });
    });
  });
  const host = opts.host ?? "127.0.0.1";
  const port = await listen(server, host, opts.port ?? 0);
  const url = `http://${host}:${port}`;
  return {
    url,
    baseUrl: `${url}${adapter.apiRoot}`,
    calls: () => calls.map((c) => ({ ...c })),
    requestsByModel: () => {
      const out: Record<string, number> = {};
      for (const c of calls) if (c.model !== undefined) out[c.model] = (out[c.model] ?? 0) + 1;
      return out;
    },
    waitForCalls: (n) =>
      calls.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
    setBehaviour: (b) => {
      behaviour = { ...b };
      faults = [...(b.faults ?? [])];
    },
    reset: () => {
      calls.length = 0;
      cache.clear();
      behaviour = {};
      faults = [];
    },
    close: async () => {
      for (const t of [...timers]) {
        clearTimeout(t.timer);
        t.resolve();
      }
      await closeServer(server);
    },
  };
}

/**
 * The deterministic completion of a fake: says which fake and model produced it, how long the prompt was, a digest
 * of it, and its first line, so tests can tell answers apart and nobody mistakes them for a model's.
 * @param label vendor label, e.g. `ANTHROPIC`.
 * @param promptText the whole prompt as sent (system + messages).
 * @param lastUserText the last user message, quoted briefly.
 */
export function fakeReplyText(label: string, model: string, promptText: string, lastUserText: string): string {
  const digest = createHash("sha256").update(promptText).digest("hex").slice(0, 12);
  const first = (lastUserText.split("\n").find((l) => l.trim().length > 0) ?? "").trim().slice(0, 80);
  return `[FAKE ${label} ${model}] This answer comes from a local fake, not a model. It read a ${promptText.length}-character prompt (digest ${digest}) whose last message begins: "${first}".`;
}

/**
 * Cuts `text` to at most `maxTokens` tokens at 4 characters per token (the fakes' token rule, estimateTokens).
 * @returns the text and whether it was cut.
 */
export function truncateToTokens(text: string, maxTokens: number): { text: string; truncated: boolean } {
  if (estimateTokens(text) <= maxTokens) return { text, truncated: false };
  return { text: text.slice(0, Math.max(0, maxTokens) * 4), truncated: true };
}

/** True for a plain JSON object. */
export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function send(res: ServerResponse, answer: FakeAnswer): void {
  if (res.destroyed || res.writableEnded) return;
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
    ...answer.headers,
  });
  res.end(text);
}
