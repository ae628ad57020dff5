import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { BodyTooLargeError, bearerToken, readBody, sendJson, sendText, splitTarget } from "../http-util.js";
import type { StatsCounter } from "../stats.js";
import type { RedisBackend, RedisCommand } from "./backend.js";
import { CommandParseError, parseBatch, parsePathCommand, parseSingle } from "./command-parse.js";
import { encodeItem, encodeResult } from "./encode.js";

/** Largest accepted request body, in bytes (Upstash's documented max request size on paid plans is 10 MB). */
export const MAX_REDIS_REQUEST_BYTES = 10 * 1024 * 1024;

/** Options of {@link createRedisRestServer}. */
export interface RedisRestServerOptions {
  /** The store that runs the commands. */
  backend: RedisBackend;
  /** Token accepted as `Authorization: Bearer <token>` or `?_token=<token>`. */
  token: string;
  /** Counters to update (redisRequests, redisCommands, redisRequestBytes). */
  stats: StatsCounter;
}

/**
 * An HTTP server speaking the Upstash Redis REST API (docs/upstash-protocols.md section (a)):
 * - `POST /` one command as a JSON array -> `200 {"result"}` or `400 {"error"}`;
 * - `POST /pipeline` -> `200 [{"result"}|{"error"}, ...]` (errors in-band);
 * - `POST /multi-exec` -> same shape, atomic; a discarded transaction -> `400 {"error"}`;
 * - path-style `GET|HEAD|POST|PUT /cmd/arg/...` (A2); other methods -> 405;
 * - `GET /` with no command -> 200 welcome text;
 * - auth by bearer token or `_token` query parameter, else `401 {"error":"Unauthorized"}` (A1, A3);
 * - `Upstash-Encoding: base64` switches on the A4 response encoding.
 * The server is returned unstarted; call `listen`.
 */
export function createRedisRestServer(opts: RedisRestServerOptions): Server {
  return createServer((req, res) => {
    handle(req, res, opts).catch((err: unknown) => {
      if (!res.headersSent)
        sendJson(res, 500, { error: `ERR local stack: ${err instanceof Error ? err.message : String(err)}` });
      else res.destroy();
    });
  });
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: RedisRestServerOptions): Promise<void> {
  const { backend, token, stats } = opts;
  stats.add("redisRequests");
  const { path, query } = splitTarget(req.url ?? "/");
  let body: Buffer;
  try {
    body = await readBody(req, MAX_REDIS_REQUEST_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return sendJson(res, 413, { error: `ERR ${err.message}` });
    throw err;
  }
  stats.add("redisRequestBytes", body.length);

  if (!authorized(req, query, token)) return sendJson(res, 401, { error: "Unauthorized" });
  const method = req.method ?? "GET";
  const base64 = (req.headers["upstash-encoding"] ?? "").toString().toLowerCase() === "base64";

  try {
    if (method === "POST" && (path === "/pipeline" || path === "/multi-exec")) {
      const cmds = parseBatch(body);
      stats.add("redisCommands", cmds.length);
      if (path === "/pipeline") {
        const replies = await backend.pipeline(cmds);
        return sendJson(
          res,
          200,
          replies.map((r) => encodeItem(r, base64)),
        );
      }
      try {
        const replies = await backend.transaction(cmds);
        return sendJson(
          res,
          200,
          replies.map((r) => encodeItem(r, base64)),
        );
      } catch (err) {
        return sendJson(res, 400, { error: errorText(err) });
      }
    }
    if (!["GET", "HEAD", "POST", "PUT"].includes(method))
      return sendJson(res, 405, { error: "ERR method not allowed" });
    if (path === "/" && method !== "POST") return sendText(res, 200, "Upstash Redis REST API (agent-dag local stack)");
    const cmd: RedisCommand = path === "/" ? parseSingle(body) : parsePathCommand(path, query, body);
    stats.add("redisCommands");
    try {
      const reply = await backend.command(cmd);
      return sendJson(res, 200, { result: encodeResult(reply, base64) });
    } catch (err) {
      return sendJson(res, 400, { error: errorText(err) });
    }
  } catch (err) {
    if (err instanceof CommandParseError) return sendJson(res, 400, { error: err.message });
    throw err;
  }
}

function authorized(req: IncomingMessage, query: string, token: string): boolean {
  if (bearerToken(req) === token) return true;
  return new URLSearchParams(query).get("_token") === token;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
