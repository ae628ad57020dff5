import type { LogListParams, LogListResponse } from "cloudflare/resources/ai-gateway/logs";
import type { LoggedRequest, UsageLog } from "./usage-log.js";
import { CALL_KEY_METADATA } from "./usage-log.js";

/** Settings of an {@link AiGatewayUsageLog}. */
export interface AiGatewayUsageLogOptions {
  /** Cloudflare account id. */
  accountId: string;
  /** The gateway's id (its name in the dashboard). */
  gatewayId: string;
  /** API token with "AI Gateway Read". Undefined: every look-up fails, naming {@link apiTokenSecret}. */
  apiToken: string | undefined;
  /** Name of the secret the token comes from, for that error. */
  apiTokenSecret: string;
  /** Cloudflare API root. @default https://api.cloudflare.com/client/v4 (the SDK's) */
  apiBaseUrl?: string | undefined;
  /** fetch implementation (tests). @default globalThis.fetch */
  fetch?: typeof globalThis.fetch | undefined;
}

/** The SDK client with only AI Gateway's logs (`cloudflare/tree-shakable`). */
interface LogsClient {
  aiGateway: {
    logs: {
      list(gatewayId: string, params: LogListParams): PromiseLike<{ result: LogListResponse[] }>;
    };
  };
}

/** Entries a look-up reads at most: an attempt makes one call, or two when its structured answer is asked again. */
const MAX_ENTRIES_PER_KEY = 20;

/**
 * Cloudflare AI Gateway's request logs as a {@link UsageLog}, read with the official `cloudflare` SDK (its
 * tree-shakable client with the logs resource only; `aiGateway.logs.list`, `GET /accounts/{account_id}/ai-gateway/gateways/{gateway_id}/logs`). Calls routed through
 * the gateway carry their call key as custom metadata (header `cf-aig-metadata`); a look-up filters the logs on
 * `metadata.value eq <key>`. An entry is billed when `success` is true and `cached` false (a gateway cache hit calls
 * no provider); `tokens_in` (the whole prompt), `tokens_out`, `cost` (USD) and `status_code` are taken as logged.
 */
export class AiGatewayUsageLog implements UsageLog {
  readonly name = "ai-gateway";
  #client: Promise<LogsClient> | undefined;
  readonly #opts: AiGatewayUsageLogOptions;

  constructor(opts: AiGatewayUsageLogOptions) {
    this.#opts = opts;
  }

  /** The SDK client, loaded at the first look-up: the worker's start does not pay for evaluating the SDK. */
  #sdk(): Promise<LogsClient> {
    const token = this.#opts.apiToken;
    if (!token)
      return Promise.reject(
        new Error(`usage log ai-gateway: API token secret ${this.#opts.apiTokenSecret} is not set`),
      );
    this.#client ??= Promise.all([
      import("cloudflare/tree-shakable"),
      import("cloudflare/resources/ai-gateway/logs"),
    ]).then(([{ createClient }, { BaseLogs }]) =>
      createClient({
        // the logs resource alone: the full client would bring every Cloudflare API into the worker's bundle
        resources: [BaseLogs],
        apiToken: token,
        // only the token: the SDK would otherwise also read CLOUDFLARE_API_KEY/EMAIL from the environment
        apiKey: null,
        apiEmail: null,
        userServiceKey: null,
        maxRetries: 1,
        timeout: 10_000,
        ...(this.#opts.apiBaseUrl ? { baseURL: this.#opts.apiBaseUrl } : {}),
        ...(this.#opts.fetch ? { fetch: this.#opts.fetch } : {}),
      }),
    );
    return this.#client;
  }

  /** @throws Error when the token is missing or the API fails. */
  async requestsOf(key: string): Promise<LoggedRequest[]> {
    const page = await this.#list({
      filters: [{ key: "metadata.value", operator: "eq", value: [key] }],
      per_page: MAX_ENTRIES_PER_KEY,
      order_by: "created_at",
      order_by_direction: "asc",
    });
    return page
      .filter((e) => metadataKey(e.metadata) === key)
      .map((e) => ({
        createdAtMs: Date.parse(e.created_at),
        billed: e.success && !e.cached,
        status: e.status_code,
        inputTokens: e.tokens_in ?? 0,
        outputTokens: e.tokens_out ?? 0,
        costUsd: e.cost,
        model: e.model,
      }));
  }

  /** @throws Error when the token is missing or the API fails. */
  async hasEntriesAfter(afterMs: number): Promise<boolean> {
    const page = await this.#list({
      filters: [{ key: "created_at", operator: "gt", value: [new Date(afterMs).toISOString()] }],
      per_page: 1,
    });
    return page.length > 0;
  }

  async #list(query: Omit<LogListParams, "account_id">): Promise<LogListResponse[]> {
    const client = await this.#sdk();
    const page = await client.aiGateway.logs.list(this.#opts.gatewayId, {
      account_id: this.#opts.accountId,
      ...query,
    });
    return page.result;
  }
}

/** The call key in a log entry's metadata (a JSON object as text), or null. */
function metadataKey(metadata: string | undefined): string | null {
  if (!metadata) return null;
  try {
    const m = JSON.parse(metadata) as Record<string, unknown>;
    const v = m[CALL_KEY_METADATA];
    return typeof v === "string" ? v : null;
  } catch {
    return null;
  }
}
