import { z } from "zod";
import { type TenantBudgets, tenantBudgetsSchema } from "../shared/budget/budget-spec.js";
import { EncryptionKeyring } from "../shared/crypto/keyring.js";
import { DEFAULT_PROMPT_LIMIT, type PromptLimit } from "../shared/dag/prompt-size.js";
import { mergePriceOverrides, parsePriceOverrides } from "../shared/pricing/overrides.js";
import { DEFAULT_PRICES, type PriceTable } from "../shared/pricing/prices.js";
import { type ProvidersConfig, parseProvidersConfig } from "../shared/providers/providers-config.js";
import { parseUsageLogConfig, type UsageLogConfig } from "../shared/providers/usage-log-config.js";
import { parseTenantQuotas, type TenantQuotas } from "../shared/quota/quota-spec.js";
import { type ModelFallbacks, parseModelFallbacksJson } from "../shared/routing/model-fallbacks.js";
import { DEFAULT_TIER_MAP, PROVIDER_NAME_RE, parseTierMapJson, type TierMap } from "../shared/routing/tier-map.js";
import { MAX_NODES, NODE_LIMIT_CEILING } from "../shared/schema/workflow.js";
import type { OtlpExportConfig } from "../shared/telemetry/otlp-exporter.js";
import { type HttpNodeSettings, parseHttpNodeSettings } from "./http-node-config.js";
import { parseOtelConfig } from "./otel-config.js";

/**
 * Worker bindings (wrangler.toml `[vars]` and secrets). Secrets: UPSTASH_REDIS_REST_URL/TOKEN, QSTASH_TOKEN,
 * QSTASH_CURRENT_SIGNING_KEY, QSTASH_NEXT_SIGNING_KEY, API_KEYS.
 */
export interface Env {
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  /** QStash API base URL; unset means the real service (https://qstash.upstash.io). */
  QSTASH_URL?: string;
  QSTASH_TOKEN: string;
  QSTASH_CURRENT_SIGNING_KEY: string;
  QSTASH_NEXT_SIGNING_KEY: string;
  /** Comma-separated `tenant:key` pairs (a bare `key` belongs to tenant `default`). */
  API_KEYS: string;
  /** Redis key prefix, default `ad`. */
  KEY_PREFIX?: string;
  /** Seconds a finished run is kept, default 604800 (7 days). */
  RUN_RETENTION_SECONDS?: string;
  /** JSON array of `{ cron, workflow, input? }`: which workflows each cron trigger starts. */
  CRON_WORKFLOWS?: string;
  /** Latency of a simulated call in ms when neither node nor trigger sets one, default 0. */
  SIMULATED_LATENCY_MS?: string;
  /** Most nodes a workflow may have, 1..5000 (shared/schema/workflow.ts NODE_LIMIT_CEILING), default 1000. */
  MAX_WORKFLOW_NODES?: string;
  /** Public origin of this worker for QStash to call (e.g. https://agent-dag.example.workers.dev). Required in
   * production (functions/deployment-safety.ts); in development the origin of the request that started the run. */
  PUBLIC_URL?: string;
  /** `production` (default) or `development`. Production refuses to start work with Upstash's development signing
   * keys or without `PUBLIC_URL`; wrangler.toml's `[env.dev]` sets `development`. */
  ENVIRONMENT?: string;
  /** Comma-separated `host[:port]` entries (`*.example.com` wildcards) http nodes may call; empty = http nodes refused
   * (functions/http-node-config.ts, shared/http/ssrf-guard.ts). */
  HTTP_NODE_ALLOWED_HOSTS?: string;
  /** Comma-separated names of worker secrets an http node's header values may read as `{{secrets.NAME}}`. */
  HTTP_NODE_SECRETS?: string;
  /** JSON providers config (shared/providers/providers-config.ts), e.g.
   * `{"anthropic":{"type":"anthropic","apiKeySecret":"ANTHROPIC_API_KEY"}}`; `simulated` is always present. */
  PROVIDERS?: string;
  /** Provider of agents that name none, default `simulated`. */
  DEFAULT_PROVIDER?: string;
  /** JSON usage log (shared/providers/usage-log-config.ts), e.g. `{"type":"ai-gateway","accountId":"…","gatewayId":
   * "…"}`: where a call whose answer was lost is read back and booked exactly; unset = such calls stay booked at their
   * reserved worst case. */
  USAGE_LOG?: string;
  /** JSON tier map `{provider: {fast, balanced, deep}}`, merged over the built-in `simulated` entry. */
  TIERS?: string;
  /** JSON price overrides `{model: {input, output, cacheRead, cacheWrite, source, asOf}}` (USD per million tokens). */
  PRICES?: string;
  /** JSON daily budgets per tenant `{tenant|"*": {tokens?, usd?}}` (UTC days). */
  TENANT_BUDGETS?: string;
  /** JSON quotas per tenant `{tenant|"*": {runsPerMinute?, concurrentRuns?, nodesPerDay?, allowedModels?,
   * allowedTiers?}}` (shared/quota/quota-spec.ts); unset = no quotas, no Redis command. */
  TENANT_QUOTAS?: string;
  /** `true` or `false`: whether the free `simulated` provider may run nodes; default `true` when `ENVIRONMENT` is
   * `development`, `false` in production. */
  ALLOW_SIMULATED_PROVIDER?: string;
  /** `<provider>:<model>` of the LLM that classifies tasks the routing rules are unsure about; unset = off. */
  ROUTING_CLASSIFIER?: string;
  /** JSON fallbacks per tier `{fast?, balanced?, deep?: ["<provider>:<model>", …]}` (shared/routing/model-fallbacks.ts):
   * where a call goes while its model's circuit is open; unset = no fallback (the node waits for the cool-down). */
  MODEL_FALLBACKS?: string;
  /** Circuit breaker per provider and model (shared/providers/circuit/): failures that open it (1..1000, default 5)
   * within a window (1..3600 s, default 60), and the cool-down before its half-open probe (1..3600 s, default 30). */
  CIRCUIT_FAILURES?: string;
  CIRCUIT_WINDOW_SECONDS?: string;
  CIRCUIT_COOLDOWN_SECONDS?: string;
  /** Secret: keys that encrypt sensitive nodes' outputs, `kid:<base64 32 bytes>[,kid2:…]` (first = current). */
  CACHE_ENCRYPTION_KEYS?: string;
  /** Seconds a queued node may wait for its delivery (and a running one beyond its deadline) before the sweeper
   * re-offers it, 1..3600, default 120. */
  SWEEPER_GRACE_SECONDS?: string;
  /** Most runs one sweep (one cron tick) looks at, 1..100, default 10. */
  SWEEPER_BATCH?: string;
  /** Caps on a node's rendered prompt: characters (default 2,000,000) and estimated tokens, 4 characters each
   * (default 1,000,000); shared/dag/prompt-size.ts `DEFAULT_PROMPT_LIMIT`. */
  MAX_RENDERED_PROMPT_CHARS?: string;
  MAX_RENDERED_PROMPT_TOKENS?: string;
  /** Server-sent events of `GET /v1/runs/:id/events` (functions/run-events.ts): pause between Redis reads (ms,
   * default 250), reads per response (default 45, within Workers Free's 50 subrequests), seconds per response
   * (default 300) and the `retry:` hint (ms, default 250). */
  SSE_POLL_MS?: string;
  SSE_MAX_POLLS?: string;
  SSE_MAX_SECONDS?: string;
  SSE_RETRY_MS?: string;
  /** Workers AI binding (wrangler.toml `[ai]`), used by providers of type `workers-ai`. */
  AI?: unknown;
  /** OTLP/HTTP base URL for traces (docs/tracing.md), e.g. `https://cloud.langfuse.com/api/public/otel`; unset =
   * tracing off. */
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  /** Secret: the exporter's headers, `name=value` pairs separated by commas, values percent-encoded. */
  OTEL_EXPORTER_OTLP_HEADERS?: string;
  /** `service.name` of the exported spans, default `agent-dag`. */
  OTEL_SERVICE_NAME?: string;
  /** Provider API keys and other secrets named by `PROVIDERS` (`apiKeySecret`). */
  [secret: string]: unknown;
}

/** One cron entry of `CRON_WORKFLOWS`: when `cron` fires, start `workflow` with `input`. */
export const cronWorkflowSchema = z.strictObject({
  cron: z.string().min(1),
  workflow: z.string().min(1),
  input: z.unknown().optional(),
});

/** A validated `CRON_WORKFLOWS` entry. */
export type CronWorkflow = z.output<typeof cronWorkflowSchema>;

/** Settings parsed from {@link Env}. Durations in seconds or ms as named. */
export interface Config {
  redisUrl: string;
  redisToken: string;
  qstashUrl: string | undefined;
  qstashToken: string;
  signingKeys: { current: string; next: string };
  /** `ENVIRONMENT`: `production` unless set to `development`. */
  environment: "production" | "development";
  /** http nodes: allowlist and readable secret names (`HTTP_NODE_ALLOWED_HOSTS`, `HTTP_NODE_SECRETS`). */
  httpNodes: HttpNodeSettings;
  /** API key -> tenant. */
  apiKeys: Map<string, string>;
  keyPrefix: string;
  retentionSeconds: number;
  simulatedLatencyMs: number;
  /** Most nodes a workflow may have (`MAX_WORKFLOW_NODES`), default {@link MAX_NODES}. */
  maxNodes: number;
  cronWorkflows: CronWorkflow[];
  publicUrl: string | undefined;
  providers: ProvidersConfig;
  defaultProvider: string;
  tierMap: TierMap;
  prices: PriceTable;
  tenantBudgets: TenantBudgets;
  /** Per-tenant quotas (`TENANT_QUOTAS`), `{}` when unset. */
  tenantQuotas: TenantQuotas;
  /** Whether the `simulated` provider exists (`ALLOW_SIMULATED_PROVIDER`, default: only in development). */
  allowSimulatedProvider: boolean;
  /** `{provider, model}` of the routing classifier, or null when off. */
  classifier: { provider: string; model: string } | null;
  /** Fallbacks per tier while a circuit is open (`MODEL_FALLBACKS`), `{}` when unset. */
  fallbacks: ModelFallbacks;
  /** The circuit breaker: failures that open it within `windowMs`, and the cool-down before its probe (ms). */
  circuit: { threshold: number; windowMs: number; cooldownMs: number };
  /** Keys for sensitive outputs (AES-256-GCM), or undefined when `CACHE_ENCRYPTION_KEYS` is unset. */
  keyring: EncryptionKeyring | undefined;
  /** The sweeper: grace period (ms) and most runs per sweep. */
  sweeper: { graceMs: number; batch: number };
  /** Caps on a node's rendered prompt (`MAX_RENDERED_PROMPT_CHARS`, `MAX_RENDERED_PROMPT_TOKENS`), default {@link DEFAULT_PROMPT_LIMIT}. */
  promptLimit: PromptLimit;
  /** Trace export (`OTEL_EXPORTER_OTLP_*`, functions/otel-config.ts), or null when tracing is off. */
  otel: OtlpExportConfig | null;
  /** The provider usage log (`USAGE_LOG`), or null when unset. */
  usageLog: UsageLogConfig | null;
}

const configSchema = z.object({
  UPSTASH_REDIS_REST_URL: z.url(),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1),
  QSTASH_URL: z.url().optional(),
  QSTASH_TOKEN: z.string().min(1),
  QSTASH_CURRENT_SIGNING_KEY: z.string().min(1),
  QSTASH_NEXT_SIGNING_KEY: z.string().min(1),
  API_KEYS: z.string().min(1),
  KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,32}$/)
    .default("ad"),
  RUN_RETENTION_SECONDS: z.coerce.number().int().min(1).max(31_536_000).default(604_800),
  SIMULATED_LATENCY_MS: z.coerce.number().int().min(0).max(7_200_000).default(0),
  MAX_WORKFLOW_NODES: z.coerce.number().int().min(1).max(NODE_LIMIT_CEILING).default(MAX_NODES),
  SWEEPER_GRACE_SECONDS: z.coerce.number().int().min(1).max(3600).default(120),
  SWEEPER_BATCH: z.coerce.number().int().min(1).max(100).default(10),
  CIRCUIT_FAILURES: z.coerce.number().int().min(1).max(1000).default(5),
  CIRCUIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  CIRCUIT_COOLDOWN_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  MAX_RENDERED_PROMPT_CHARS: z.coerce.number().int().min(1000).max(16_000_000).default(DEFAULT_PROMPT_LIMIT.maxChars),
  MAX_RENDERED_PROMPT_TOKENS: z.coerce.number().int().min(250).max(10_000_000).default(DEFAULT_PROMPT_LIMIT.maxTokens),
  CRON_WORKFLOWS: z
    .string()
    .default("[]")
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "CRON_WORKFLOWS must be JSON" });
        return z.NEVER;
      }
    })
    .pipe(z.array(cronWorkflowSchema)),
  PUBLIC_URL: z.url().optional(),
  ALLOW_SIMULATED_PROVIDER: z.enum(["true", "false"]).optional(),
  ENVIRONMENT: z.enum(["production", "development"]).default("production"),
  DEFAULT_PROVIDER: z.string().regex(PROVIDER_NAME_RE).default("simulated"),
  ROUTING_CLASSIFIER: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,63}:\S+$/, { message: "ROUTING_CLASSIFIER must be <provider>:<model>" })
    .optional(),
});

function parseJsonVar<T>(
  name: string,
  text: string | undefined,
  parse: (t: string) => T,
  fallback: T,
  problems: string[],
): T {
  if (text === undefined || text.trim() === "") return fallback;
  try {
    return parse(text);
  } catch (err) {
    problems.push(`${name}: ${(err as Error).message}`);
    return fallback;
  }
}

/**
 * Parses `API_KEYS` (`tenant:key,tenant2:key2`; a bare key belongs to tenant `default`).
 * @returns key -> tenant.
 */
export function parseApiKeys(raw: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const entry of raw
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)) {
    const i = entry.indexOf(":");
    if (i === -1) keys.set(entry, "default");
    else keys.set(entry.slice(i + 1), entry.slice(0, i));
  }
  return keys;
}

/**
 * Validates the worker's bindings.
 * @throws Error naming every missing or invalid variable (the worker answers 500 until configured).
 */
export function parseConfig(env: Env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`agent-dag is misconfigured: ${names}`);
  }
  const e = parsed.data;
  const problems: string[] = [];
  const providers = parseJsonVar("PROVIDERS", env.PROVIDERS, parseProvidersConfig, {} as ProvidersConfig, problems);
  const tiers = parseJsonVar("TIERS", env.TIERS, parseTierMapJson, {} as TierMap, problems);
  const prices = mergePriceOverrides(
    DEFAULT_PRICES,
    parseJsonVar("PRICES", env.PRICES, parsePriceOverrides, {}, problems),
  );
  const fallbacks = parseJsonVar("MODEL_FALLBACKS", env.MODEL_FALLBACKS, parseModelFallbacksJson, {}, problems);
  for (const [tier, list] of Object.entries(fallbacks)) {
    for (const f of list ?? []) {
      if (f.provider !== "simulated" && !providers[f.provider])
        problems.push(`MODEL_FALLBACKS: ${tier} fallback "${f.provider}:${f.model}" names a provider not in PROVIDERS`);
    }
  }
  const tenantBudgets = parseJsonVar(
    "TENANT_BUDGETS",
    env.TENANT_BUDGETS,
    (t) => tenantBudgetsSchema.parse(JSON.parse(t)),
    {},
    problems,
  );
  const tenantQuotas = parseJsonVar("TENANT_QUOTAS", env.TENANT_QUOTAS, parseTenantQuotas, {}, problems);
  const tierMap = { ...DEFAULT_TIER_MAP, ...tiers };
  const keyring = parseJsonVar(
    "CACHE_ENCRYPTION_KEYS",
    env.CACHE_ENCRYPTION_KEYS,
    (t) => EncryptionKeyring.fromSecret(t),
    undefined,
    problems,
  );
  if (!tierMap[e.DEFAULT_PROVIDER]) problems.push(`DEFAULT_PROVIDER: "${e.DEFAULT_PROVIDER}" has no TIERS entry`);
  if (e.DEFAULT_PROVIDER !== "simulated" && !providers[e.DEFAULT_PROVIDER])
    problems.push(`DEFAULT_PROVIDER: "${e.DEFAULT_PROVIDER}" is not in PROVIDERS`);
  const httpNodes = parseHttpNodeSettings(env, problems);
  const otel = parseOtelConfig(env, problems);
  const usageLog = parseJsonVar("USAGE_LOG", env.USAGE_LOG, parseUsageLogConfig, null, problems);
  for (const name of usageLog?.providers ?? []) {
    const type = providers[name]?.type;
    if (type !== "anthropic" && type !== "openai-compatible")
      problems.push(`USAGE_LOG: providers: "${name}" is not an anthropic or openai-compatible provider in PROVIDERS`);
  }
  if (problems.length > 0) throw new Error(`agent-dag is misconfigured: ${problems.join("; ")}`);
  const [classifierProvider, ...classifierModel] = e.ROUTING_CLASSIFIER?.split(":") ?? [];
  return {
    redisUrl: e.UPSTASH_REDIS_REST_URL,
    redisToken: e.UPSTASH_REDIS_REST_TOKEN,
    qstashUrl: e.QSTASH_URL,
    qstashToken: e.QSTASH_TOKEN,
    signingKeys: { current: e.QSTASH_CURRENT_SIGNING_KEY, next: e.QSTASH_NEXT_SIGNING_KEY },
    environment: e.ENVIRONMENT,
    httpNodes,
    apiKeys: parseApiKeys(e.API_KEYS),
    keyPrefix: e.KEY_PREFIX,
    retentionSeconds: e.RUN_RETENTION_SECONDS,
    simulatedLatencyMs: e.SIMULATED_LATENCY_MS,
    maxNodes: e.MAX_WORKFLOW_NODES,
    cronWorkflows: e.CRON_WORKFLOWS,
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ""),
    providers,
    defaultProvider: e.DEFAULT_PROVIDER,
    tierMap,
    prices,
    tenantBudgets,
    tenantQuotas,
    allowSimulatedProvider:
      e.ALLOW_SIMULATED_PROVIDER === undefined
        ? e.ENVIRONMENT === "development"
        : e.ALLOW_SIMULATED_PROVIDER === "true",
    classifier: classifierProvider ? { provider: classifierProvider, model: classifierModel.join(":") } : null,
    keyring,
    sweeper: { graceMs: e.SWEEPER_GRACE_SECONDS * 1000, batch: e.SWEEPER_BATCH },
    fallbacks,
    circuit: {
      threshold: e.CIRCUIT_FAILURES,
      windowMs: e.CIRCUIT_WINDOW_SECONDS * 1000,
      cooldownMs: e.CIRCUIT_COOLDOWN_SECONDS * 1000,
    },
    promptLimit: { maxChars: e.MAX_RENDERED_PROMPT_CHARS, maxTokens: e.MAX_RENDERED_PROMPT_TOKENS },
    otel,
    usageLog,
  };
}
