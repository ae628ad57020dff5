import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { costUsd } from "../../shared/pricing/cost.js";
import { DEFAULT_PRICES } from "../../shared/pricing/prices.js";
import { AI_GATEWAY_METADATA_HEADER } from "../../shared/providers/usage-log.js";
import type { FakeCall } from "./harness.js";

/** Settings of {@link startFakeAiGatewayLog}. */
export interface FakeAiGatewayLogOptions {
  /** The calls a fake provider received (harness.ts `calls()`): the gateway's traffic. */
  calls: () => readonly FakeCall[];
  accountId: string;
  gatewayId: string;
  /** The only API token accepted (`Authorization: Bearer <token>`). */
  apiToken: string;
  /** @default "127.0.0.1" */
  host?: string;
}

/** A running fake of AI Gateway's log API. */
export interface FakeAiGatewayLog {
  /** API root to give the `cloudflare` SDK (`baseURL`): `<origin>/client/v4`. */
  apiBaseUrl: string;
  /** Requests it answered so far. */
  requests(): number;
  close(): Promise<void>;
}

/** One log entry, in the fields of `GET …/ai-gateway/gateways/{id}/logs` (the `cloudflare` SDK's LogListResponse). */
interface LogEntry {
  id: string;
  created_at: string;
  success: boolean;
  cached: boolean;
  status_code: number;
  tokens_in: number | null;
  tokens_out: number | null;
  cost?: number;
  metadata?: string;
  model: string;
  provider: string;
  path: string;
  duration: number;
}

/** Filter keys and operators the fake answers (those ai-gateway-usage-log.ts sends); anything else is refused (400),
 * never ignored. */
const SUPPORTED = new Set(["metadata.value:eq", "created_at:gt"]);

/**
 * A local fake of Cloudflare AI Gateway's "List Gateway Logs" (`GET /client/v4/accounts/{account_id}/ai-gateway/
 * gateways/{gateway_id}/logs`), over the calls a fake provider received, as if they went through the gateway. Built
 * from the `cloudflare` SDK's types and the way it sends a query (`filters.key`, `filters.operator`, `filters.value`;
 * `order_by`, `order_by_direction`, `page`, `per_page`) and from Cloudflare's v4 envelope (`success`, `errors`,
 * `result`, `result_info`):
 * - an entry per answered call that carried `cf-aig-metadata` (a call still pending, or abandoned by its client
 *   before the answer, is not logged: the fake provider bills it not either); `tokens_in` is the whole prompt
 *   (input + cache reads + cache writes), `cost` priced with the repository's price table;
 * - filters: `metadata.value eq` (any metadata value equal) and `created_at gt` (ISO time); other keys or operators
 *   are refused with 400, so a client cannot believe a filter was applied;
 * - a wrong token is 401; another account or gateway is 404.
 * @throws the listen error.
 */
export async function startFakeAiGatewayLog(opts: FakeAiGatewayLogOptions): Promise<FakeAiGatewayLog> {
  let served = 0;
  const path = `/client/v4/accounts/${opts.accountId}/ai-gateway/gateways/${opts.gatewayId}/logs`;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    served += 1;
    const url = new URL(req.url ?? "/", "http://fake");
    if (req.headers.authorization !== `Bearer ${opts.apiToken}`)
      return envelope(res, 401, null, [{ code: 10000, message: "Authentication error" }]);
    if (req.method !== "GET" || url.pathname !== path)
      return envelope(res, 404, null, [{ code: 7003, message: "Could not route to the requested resource" }]);
    const q = url.searchParams;
    const keys = q.getAll("filters.key");
    const ops = q.getAll("filters.operator");
    const values = q.getAll("filters.value");
    if (keys.length !== ops.length || keys.length !== values.length)
      return envelope(res, 400, null, [{ code: 7400, message: "filters: key, operator and value go together" }]);
    for (let i = 0; i < keys.length; i++)
      if (!SUPPORTED.has(`${keys[i]}:${ops[i]}`))
        return envelope(res, 400, null, [{ code: 7400, message: `filters: ${keys[i]} ${ops[i]} not supported` }]);
    let entries = logEntries(opts.calls());
    keys.forEach((key, i) => {
      const value = values[i] as string;
      if (key === "metadata.value")
        entries = entries.filter((e) => Object.values(parseMetadata(e.metadata)).some((v) => String(v) === value));
      else entries = entries.filter((e) => Date.parse(e.created_at) > Date.parse(value));
    });
    const desc = q.get("order_by_direction") !== "asc";
    entries.sort((a, b) => (desc ? -1 : 1) * (Date.parse(a.created_at) - Date.parse(b.created_at)));
    const perPage = Math.min(Math.max(Number(q.get("per_page") ?? 20) || 20, 1), 50);
    const page = Math.max(Number(q.get("page") ?? 1) || 1, 1);
    const result = entries.slice((page - 1) * perPage, page * perPage);
    return envelope(res, 200, result, [], {
      page,
      per_page: perPage,
      count: result.length,
      total_count: entries.length,
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    apiBaseUrl: `http://${opts.host ?? "127.0.0.1"}:${port}/client/v4`,
    requests: () => served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The gateway's log of `calls`: answered calls tagged with metadata, oldest first. */
function logEntries(calls: readonly FakeCall[]): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const c of calls) {
    const metadata = c.headers[AI_GATEWAY_METADATA_HEADER];
    if (!metadata || c.status === 0) continue;
    const u = (c.usage ?? {}) as Record<string, unknown>;
    const usage = {
      inputTokens: Number(u.input_tokens ?? 0),
      outputTokens: Number(u.output_tokens ?? 0),
      cacheReadTokens: Number(u.cache_read_input_tokens ?? 0),
      cacheWriteTokens: Number(u.cache_creation_input_tokens ?? 0),
    };
    const success = c.status >= 200 && c.status < 300;
    let cost: number | undefined;
    try {
      cost = success ? costUsd(c.model ?? "", usage, DEFAULT_PRICES) : 0;
    } catch {
      cost = undefined; // a model the price table does not know: the gateway leaves it unpriced
    }
    entries.push({
      id: `log_fake_${String(c.seq).padStart(6, "0")}`,
      created_at: new Date(c.at).toISOString(),
      success,
      cached: false,
      status_code: c.status,
      tokens_in: success ? usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens : null,
      tokens_out: success ? usage.outputTokens : null,
      ...(cost !== undefined ? { cost } : {}),
      metadata,
      model: c.model ?? "",
      provider: "anthropic",
      path: c.path,
      duration: 0,
    });
  }
  return entries;
}

function parseMetadata(text: string | undefined): Record<string, unknown> {
  try {
    const v = JSON.parse(text ?? "{}") as unknown;
    return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function envelope(
  res: ServerResponse,
  status: number,
  result: unknown,
  errors: { code: number; message: string }[],
  resultInfo?: Record<string, number>,
): void {
  const body = {
    success: status < 400,
    errors,
    messages: [],
    result,
    ...(resultInfo ? { result_info: resultInfo } : {}),
  };
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
