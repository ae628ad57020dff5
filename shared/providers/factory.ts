import { AnthropicProvider } from "./anthropic.js";
import { OpenAICompatibleProvider } from "./openai-compatible.js";
import type { LlmProvider } from "./provider.js";
import type { ProvidersConfig } from "./providers-config.js";
import { SimulatedProvider } from "./simulated.js";
import { type WorkersAiBinding, WorkersAiProvider } from "./workers-ai.js";

/** Options of {@link createProviders}. */
export interface CreateProvidersOptions {
  /** Default latency in ms of the simulated provider (config `SIMULATED_LATENCY_MS`). @default 0 */
  simulatedLatencyMs?: number | undefined;
  /** Whether the free `simulated` provider exists (config `ALLOW_SIMULATED_PROVIDER`; off by default in
   * production). @default true */
  simulated?: boolean | undefined;
  /** fetch used by the HTTP providers (tests). @default globalThis.fetch */
  fetch?: typeof globalThis.fetch | undefined;
  /** The HTTP providers that tag each node call with its call key for the usage log (config `USAGE_LOG`
   * `providers`, usage-log.ts). @default none */
  tagCalls?: ReadonlySet<string> | undefined;
}

/**
 * Builds every configured provider, keyed by name. The simulated provider is present under `simulated` (the offline
 * default) unless `opts.simulated` is false, and then absent even when `config` lists it. Secrets and bindings are looked up by name in `env` (the worker's `env`):
 * `env[entry.apiKeySecret]` for API keys (strings) and `env[entry.binding]` for the Workers AI binding (an object
 * with `run`). A missing secret or binding does not fail here: the provider is created and each of its calls fails
 * `non-retryable` with a message naming what is missing, so one misconfigured provider cannot take down runs that
 * use others.
 * @param config validated `PROVIDERS` (see parseProvidersConfig).
 * @param env secrets and bindings by name, e.g. `{ ANTHROPIC_API_KEY: "sk-ant-…", AI: env.AI }`.
 * @returns name -> provider, in config order, `simulated` (when on) first.
 */
export function createProviders(
  config: ProvidersConfig,
  env: Readonly<Record<string, unknown>>,
  opts: CreateProvidersOptions = {},
): Map<string, LlmProvider> {
  const providers = new Map<string, LlmProvider>();
  const simulated = config.simulated;
  if (opts.simulated !== false)
    providers.set(
      "simulated",
      new SimulatedProvider(
        simulated?.type === "simulated"
          ? (simulated.latencyMs ?? opts.simulatedLatencyMs ?? 0)
          : (opts.simulatedLatencyMs ?? 0),
      ),
    );
  for (const [name, entry] of Object.entries(config)) {
    switch (entry.type) {
      case "simulated":
        break; // registered above, under its fixed name, when allowed
      case "anthropic":
        providers.set(
          name,
          new AnthropicProvider({
            name,
            apiKey: secret(env, entry.apiKeySecret),
            apiKeySecret: entry.apiKeySecret,
            baseUrl: entry.baseUrl,
            headers: entry.headers,
            fetch: opts.fetch,
            tagCalls: opts.tagCalls?.has(name) ?? false,
          }),
        );
        break;
      case "openai-compatible":
        providers.set(
          name,
          new OpenAICompatibleProvider({
            name,
            baseUrl: entry.baseUrl,
            apiKey: entry.apiKeySecret === undefined ? undefined : secret(env, entry.apiKeySecret),
            apiKeySecret: entry.apiKeySecret,
            headers: entry.headers,
            fetch: opts.fetch,
            tagCalls: opts.tagCalls?.has(name) ?? false,
          }),
        );
        break;
      case "workers-ai":
        providers.set(
          name,
          new WorkersAiProvider({ name, binding: binding(env, entry.binding), bindingName: entry.binding }),
        );
        break;
    }
  }
  return providers;
}

function secret(env: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const v = env[name];
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

function binding(env: Readonly<Record<string, unknown>>, name: string): WorkersAiBinding | undefined {
  const v = env[name];
  return typeof v === "object" && v !== null && typeof (v as { run?: unknown }).run === "function"
    ? (v as WorkersAiBinding)
    : undefined;
}
