import { z } from "zod";

/** A provider name: the key of an entry in `PROVIDERS`, e.g. `anthropic`, `openrouter`, `workers-ai`. */
const providerNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, "provider names are lower-case letters, digits and dashes");

/** Name of a worker secret or var holding an API key, e.g. `ANTHROPIC_API_KEY`. */
const secretNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "secret names are letters, digits and underscores");

const headersSchema = z.record(z.string().min(1), z.string()).optional();

const anthropicEntrySchema = z.strictObject({
  type: z.literal("anthropic"),
  /** API root including `/v1`; default https://api.anthropic.com/v1. */
  baseUrl: z.url().optional(),
  /** Secret holding the key; default `ANTHROPIC_API_KEY`. */
  apiKeySecret: secretNameSchema.default("ANTHROPIC_API_KEY"),
  headers: headersSchema,
});

const openAICompatibleEntrySchema = z.strictObject({
  type: z.literal("openai-compatible"),
  /** API root; `POST {baseUrl}/chat/completions`. */
  baseUrl: z.url(),
  /** Secret holding the bearer token; omit for keyless servers (Ollama, a local vLLM). */
  apiKeySecret: secretNameSchema.optional(),
  headers: headersSchema,
});

const workersAiEntrySchema = z.strictObject({
  type: z.literal("workers-ai"),
  /** Name of the Workers AI binding in wrangler.toml (`[ai] binding = "AI"`); default `AI`. */
  binding: secretNameSchema.default("AI"),
});

const simulatedEntrySchema = z.strictObject({
  type: z.literal("simulated"),
  /** Latency of a simulated call in ms when the node sets none; default: the worker's SIMULATED_LATENCY_MS. */
  latencyMs: z.number().int().min(0).max(3_600_000).optional(),
});

/** One entry of {@link ProvidersConfig}; `type` selects the implementation. */
export const providerEntrySchema = z.discriminatedUnion("type", [
  anthropicEntrySchema,
  openAICompatibleEntrySchema,
  workersAiEntrySchema,
  simulatedEntrySchema,
]);

/**
 * zod schema of the `PROVIDERS` worker var: a JSON object from provider name to its settings. API keys never
 * appear in it, only the NAMES of the secrets holding them (set with `wrangler secret put`). Example:
 * `{"anthropic": {"type": "anthropic"}, "groq": {"type": "openai-compatible", "baseUrl":
 * "https://api.groq.com/openai/v1", "apiKeySecret": "GROQ_API_KEY"}, "workers-ai": {"type": "workers-ai"}}`.
 * Fields per type:
 * - `anthropic`: `baseUrl?` (URL incl. `/v1`, default https://api.anthropic.com/v1), `apiKeySecret?` (default
 *   `ANTHROPIC_API_KEY`), `headers?` (string map);
 * - `openai-compatible`: `baseUrl` (required), `apiKeySecret?` (omit for keyless servers), `headers?`;
 * - `workers-ai`: `binding?` (default `AI`);
 * - `simulated`: `latencyMs?` (int ms). A provider named `simulated` always exists; an entry may only tune it.
 * Unknown fields are rejected (typos fail loudly). At most 32 providers.
 */
export const providersConfigSchema = z
  .record(providerNameSchema, providerEntrySchema)
  .refine((r) => Object.keys(r).length <= 32, "at most 32 providers")
  .refine((r) => r.simulated === undefined || r.simulated.type === "simulated", {
    message: 'the name "simulated" is reserved for the simulated provider',
    path: ["simulated"],
  });

/** A validated `PROVIDERS` config (defaults applied). */
export type ProvidersConfig = z.output<typeof providersConfigSchema>;

/** One validated provider entry. */
export type ProviderEntry = z.output<typeof providerEntrySchema>;

/** Thrown by {@link parseProvidersConfig} for invalid JSON or an invalid config; `issues` name each culprit. */
export class ProvidersConfigError extends Error {
  override readonly name = "ProvidersConfigError";
  /** @param issues one line per problem, `<path>: <message>`. */
  constructor(readonly issues: string[]) {
    super(`invalid PROVIDERS config: ${issues.join("; ")}`);
  }
}

/**
 * Parses the `PROVIDERS` worker var.
 * @param json the var's text; undefined or blank means `{}` (only the simulated provider).
 * @returns the validated config with defaults applied.
 * @throws ProvidersConfigError when the text is not JSON or does not match {@link providersConfigSchema}.
 */
export function parseProvidersConfig(json: string | undefined): ProvidersConfig {
  if (json === undefined || json.trim() === "") return {};
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new ProvidersConfigError([`(root): not JSON: ${(err as Error).message}`]);
  }
  const parsed = providersConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ProvidersConfigError(
      parsed.error.issues.map((i) => {
        // zod reports a bad record key as "Invalid key in record"; the key schema's own message is nested
        const message = i.code === "invalid_key" ? (i.issues[0]?.message ?? i.message) : i.message;
        return `${i.path.length ? i.path.join(".") : "(root)"}: ${message}`;
      }),
    );
  }
  return parsed.data;
}
