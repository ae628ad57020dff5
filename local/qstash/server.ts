import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { z } from "zod";
import type { Chaos } from "../chaos.js";
import { BodyTooLargeError, bearerToken, isLoopback, readBody, sendJson, sendText, splitTarget } from "../http-util.js";
import type { StackStats, StatsCounter } from "../stats.js";
import { deadLetterView } from "./dlq.js";
import { parseBulkQuery } from "./filter.js";
import { messageView } from "./message.js";
import { PublishRequestError } from "./publish-request.js";
import { scheduleView } from "./schedules.js";
import type { QStashService } from "./service.js";

/** Largest accepted API request body, in bytes (QStash's paid-plan message size limit is 10 MB). */
export const MAX_QSTASH_REQUEST_BYTES = 10 * 1024 * 1024;

/** Options of {@link createQStashServer}. */
export interface QStashServerOptions {
  service: QStashService;
  /** Token accepted as `Authorization: Bearer <token>` (or `?qstash_token=` outside publish). */
  token: string;
  stats: StatsCounter;
  chaos: Chaos;
  /** Stats of both servers for `GET /__stats`. */
  allStats: () => StackStats;
}

/** One item of a `POST /v2/batch` body (docs/upstash-protocols.md B3, observed shape). */
const BatchItem = z.object({
  destination: z.string(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  queue: z.string().optional(),
});
const BatchBody = z.array(BatchItem).min(1);

/** Body of `POST /__chaos`. */
const ChaosBody = z.object({
  duplicateDelivery: z.boolean().optional(),
  publishErrors: z.number().int().min(0).optional(),
  deliveryDelayMs: z.number().min(0).optional(),
});

/** Body of `POST /__schedules/advance`: fire every schedule's occurrences up to `to` (unix ms). */
const AdvanceBody = z.object({ to: z.number().int().nonnegative() });

const UNSUPPORTED = new Set(["enqueue", "queues", "topics", "endpoints", "workflows", "llm"]);

/**
 * An HTTP server speaking the QStash v2 API subset of docs/upstash-protocols.md B3 over a {@link QStashService}:
 * publish (destination read raw from the request target, B1), batch, messages get/cancel (single and bulk),
 * dlq list/get/delete/retry (bulk filters, `count` and `cursor` as {@link parseBulkQuery} reads them),
 * keys (+ rotate), flowControl get/list/pause/resume/resetRate, globalParallelism, events/logs, schedules
 * (create with the destination read raw like publish, list, get, delete, pause/resume by PATCH or POST). Queues and
 * URL groups answer 501. Bearer auth with the dev token (401 `{"error":"Unauthorized"}`).
 * Local-only admin routes (loopback callers, no token): `GET /__stats`, `POST /__stats/reset`, `GET|POST /__chaos`,
 * and the test hook `POST /__schedules/advance {"to": <unix ms>}` (fires every schedule's occurrences up to then).
 * The server is returned unstarted; call `listen`.
 */
export function createQStashServer(opts: QStashServerOptions): Server {
  return createServer((req, res) => {
    handle(req, res, opts).catch((err: unknown) => {
      if (!res.headersSent)
        sendJson(res, 500, { error: `local stack: ${err instanceof Error ? err.message : String(err)}` });
      else res.destroy();
    });
  });
}

/** Request headers with lower-case names, repeated values joined by ", ". */
function lowerHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

function callerIp(req: IncomingMessage): string {
  const addr = req.socket.remoteAddress ?? "";
  return addr.startsWith("::ffff:") ? addr.slice(7) : addr;
}

function publishErrorBody(): { error: string } {
  return { error: "local stack chaos: publish rejected (service unavailable)" };
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: QStashServerOptions): Promise<void> {
  const rawUrl = req.url ?? "/";
  const { path, query } = splitTarget(rawUrl);
  const method = req.method ?? "GET";
  let body: Buffer;
  try {
    body = await readBody(req, MAX_QSTASH_REQUEST_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return sendJson(res, 413, { error: err.message });
    throw err;
  }

  if (path.startsWith("/__")) return handleAdmin(req, res, opts, path, method, body);
  if (path === "/" && method === "GET") return sendText(res, 200, "QStash v2 API (agent-dag local stack)");

  const { stats, service, chaos } = opts;
  stats.add("qstashApiRequests");
  stats.add("qstashRequestBytes", body.length);

  const isPublish = path.startsWith("/v2/publish/");
  const queryToken = isPublish ? undefined : new URLSearchParams(query).get("qstash_token");
  if (bearerToken(req) !== opts.token && queryToken !== opts.token)
    return sendJson(res, 401, { error: "Unauthorized" });

  const now = Date.now();
  if (isPublish && method === "POST") {
    if (chaos.takePublishError()) return sendJson(res, 503, publishErrorBody());
    // B1: the destination is the raw rest of the request target, query included; never normalised.
    const destination = rawUrl.slice("/v2/publish/".length);
    try {
      const result = await service.publish({
        destination,
        headers: lowerHeaders(req),
        body,
        callerIp: callerIp(req),
        now,
      });
      return sendJson(res, result.status, result.body);
    } catch (err) {
      if (err instanceof PublishRequestError) return sendJson(res, 400, { error: err.message });
      throw err;
    }
  }

  if (
    path.startsWith("/v2/schedules/") &&
    method === "POST" &&
    !/^\/v2\/schedules\/[^/]+\/(pause|resume)$/.test(path)
  ) {
    try {
      const scheduleId = service.schedules.create({
        destination: rawUrl.slice("/v2/schedules/".length),
        headers: lowerHeaders(req),
        body,
        callerIp: callerIp(req),
        now,
      });
      return sendJson(res, 200, { scheduleId });
    } catch (err) {
      if (err instanceof PublishRequestError) return sendJson(res, 400, { error: err.message });
      throw err;
    }
  }

  const seg = path.split("/").filter(Boolean).map(safeDecode);
  if (seg[0] !== "v2") return sendJson(res, 404, { error: `not found: ${method} ${path}` });
  const [, resource, id, action] = seg;

  if (resource === "batch" && method === "POST") {
    if (chaos.takePublishError()) return sendJson(res, 503, publishErrorBody());
    let items: z.infer<typeof BatchBody>;
    try {
      items = BatchBody.parse(JSON.parse(body.toString("utf8")));
    } catch {
      return sendJson(res, 400, {
        error: "invalid batch body: expected a non-empty JSON array of {destination, headers?, body?}",
      });
    }
    const out: unknown[] = [];
    for (const item of items) {
      if (item.queue !== undefined) {
        out.push({ error: "queues are not supported by the local stack" });
        continue;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(item.headers ?? {})) headers[k.toLowerCase()] = v;
      try {
        const r = await service.publish({
          destination: item.destination,
          headers,
          body: Buffer.from(item.body ?? "", "utf8"),
          callerIp: callerIp(req),
          now,
        });
        out.push(r.body);
      } catch (err) {
        if (!(err instanceof PublishRequestError)) throw err;
        out.push({ error: err.message });
      }
    }
    return sendJson(res, 200, out);
  }

  if (resource === "keys") {
    if (method === "GET" && id === undefined) return sendJson(res, 200, service.keys.get());
    if (method === "POST" && id === "rotate") return sendJson(res, 200, service.keys.rotate());
  }

  if (resource === "messages") {
    if (id !== undefined && action === undefined) {
      if (method === "GET") {
        const rec = service.scheduler.get(id);
        return rec ? sendJson(res, 200, messageView(rec)) : sendJson(res, 404, { error: `message ${id} not found` });
      }
      if (method === "DELETE") {
        return service.scheduler.cancel(id)
          ? sendJson(res, 202, { cancelled: 1 })
          : sendJson(res, 404, { error: `message ${id} not found or already finished` });
      }
    }
    if (id === undefined && method === "DELETE") {
      const ids = bodyMessageIds(body);
      const bulk = parseBulkQuery(
        ids ? ids.map((m) => `messageIds=${encodeURIComponent(m)}`).join("&") : query,
        "messages",
      );
      if (!bulk.ok) return sendJson(res, 400, { error: bulk.error });
      return sendJson(res, 200, { cancelled: service.scheduler.cancelWhere(bulk.query.filter, bulk.query.count) });
    }
  }

  if (resource === "dlq") {
    if (id === "retry" && action !== undefined && method === "POST") {
      const messageId = service.retryDeadLetter(action, now);
      return sendJson(res, 201, { responses: messageId ? [{ messageId }] : [] });
    }
    const listOrDelete = id === undefined && (method === "GET" || method === "DELETE");
    if (listOrDelete || (id === "retry" && action === undefined && method === "POST")) {
      const bulk = parseBulkQuery(query, "dlq");
      if (!bulk.ok) return sendJson(res, 400, { error: bulk.error });
      const { entries, cursor } = service.dlq.page(bulk.query.filter, bulk.query.count, bulk.query.cursor);
      const next = cursor === undefined ? {} : { cursor };
      if (method === "GET") return sendJson(res, 200, { messages: entries.map(deadLetterView), ...next });
      if (method === "DELETE") {
        const deleted = entries.filter((e) => service.dlq.delete(e.dlqId)).length;
        return sendJson(res, 200, { deleted, ...next });
      }
      const responses = entries
        .map((e) => service.retryDeadLetter(e.dlqId, now))
        .filter((m): m is string => m !== undefined)
        .map((messageId) => ({ messageId }));
      return sendJson(res, 201, { responses, ...next });
    }
    if (id !== undefined && action === undefined) {
      const entry = service.dlq.get(id);
      if (!entry) return sendJson(res, 404, { error: `dead letter ${id} not found` });
      if (method === "GET") return sendJson(res, 200, deadLetterView(entry));
      if (method === "DELETE") {
        service.dlq.delete(id);
        return sendJson(res, 200, {});
      }
    }
  }

  if (resource === "flowControl") {
    if (id === undefined && method === "GET") return sendJson(res, 200, service.flow.list());
    if (id !== undefined && action === undefined && method === "GET") {
      const info = service.flow.info(id);
      return info ? sendJson(res, 200, info) : sendJson(res, 404, { error: `flow control key ${id} not found` });
    }
    if (
      id !== undefined &&
      method === "POST" &&
      (action === "pause" || action === "resume" || action === "resetRate")
    ) {
      service.flow[action](id);
      return sendJson(res, 200, {});
    }
  }

  if (resource === "schedules") {
    if (id === undefined && method === "GET") return sendJson(res, 200, service.schedules.list().map(scheduleView));
    if (id !== undefined && action === undefined) {
      const rec = service.schedules.get(id);
      if (method === "GET")
        return rec ? sendJson(res, 200, scheduleView(rec)) : sendJson(res, 404, { error: `schedule ${id} not found` });
      if (method === "DELETE") {
        return service.schedules.delete(id)
          ? sendJson(res, 200, {})
          : sendJson(res, 404, { error: `schedule ${id} not found` });
      }
    }
    if (id !== undefined && (action === "pause" || action === "resume") && (method === "PATCH" || method === "POST")) {
      const done = action === "pause" ? service.schedules.pause(id) : service.schedules.resume(id, now);
      return done ? sendJson(res, 200, {}) : sendJson(res, 404, { error: `schedule ${id} not found` });
    }
  }

  if (resource === "globalParallelism" && method === "GET") {
    return sendJson(res, 200, { parallelismMax: 0, parallelismCount: service.flow.inFlight() });
  }

  if ((resource === "events" || resource === "logs") && method === "GET") {
    const params = new URLSearchParams(query);
    const events = service.events.query({
      messageId: params.get("messageId") ?? undefined,
      state: params.get("state") ?? undefined,
      count: Number(params.get("count") || 1000) || 1000,
    });
    return sendJson(res, 200, { cursor: "", [resource]: events });
  }

  if (resource !== undefined && UNSUPPORTED.has(resource)) {
    return sendJson(res, 501, { error: `/v2/${resource} is not supported by the local stack` });
  }
  return sendJson(res, 404, { error: `not found: ${method} ${path}` });
}

/** `messageIds` from an older client's JSON body (`{"messageIds": [...]}`), if present. */
function bodyMessageIds(body: Buffer): string[] | undefined {
  if (body.length === 0) return undefined;
  try {
    const parsed = z.object({ messageIds: z.array(z.string()).min(1) }).safeParse(JSON.parse(body.toString("utf8")));
    return parsed.success ? parsed.data.messageIds : undefined;
  } catch {
    return undefined;
  }
}

function safeJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8") || "{}");
  } catch {
    return undefined;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  opts: QStashServerOptions,
  path: string,
  method: string,
  body: Buffer,
): Promise<void> {
  if (!isLoopback(req)) return sendJson(res, 403, { error: "admin routes are local-only" });
  if (path === "/__stats" && method === "GET") return sendJson(res, 200, opts.allStats());
  if (path === "/__stats/reset" && method === "POST") {
    opts.stats.reset();
    return sendJson(res, 200, opts.allStats());
  }
  if (path === "/__chaos" && method === "GET") return sendJson(res, 200, opts.chaos.get());
  if (path === "/__chaos" && method === "POST") {
    let parsed: z.infer<typeof ChaosBody>;
    try {
      parsed = ChaosBody.parse(JSON.parse(body.toString("utf8") || "{}"));
    } catch (err) {
      return sendJson(res, 400, { error: `invalid chaos body: ${err instanceof Error ? err.message : String(err)}` });
    }
    opts.chaos.set(parsed);
    return sendJson(res, 200, opts.chaos.get());
  }
  if (path === "/__schedules/advance" && method === "POST") {
    const parsed = AdvanceBody.safeParse(safeJson(body));
    if (!parsed.success) return sendJson(res, 400, { error: 'invalid body: expected {"to": <unix ms>}' });
    return sendJson(res, 200, { fired: opts.service.schedules.advanceTo(parsed.data.to) });
  }
  return sendJson(res, 404, { error: `not found: ${method} ${path}` });
}
