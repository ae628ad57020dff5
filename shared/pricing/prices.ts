/**
 * The price table: what one million tokens of each kind cost on each model, in USD, with where each figure comes
 * from and when it was read. Overridable per deployment with the `PRICES` var (see overrides.ts).
 */

/** Rates of one price band, USD per million tokens (MTok). */
export interface TokenRates {
  /** Plain (uncached) input tokens. */
  input: number;
  /** Output tokens, including reasoning/thinking tokens. */
  output: number;
  /** Input tokens read from the prompt cache (Anthropic "cache hits", OpenAI "cached input"). */
  cacheRead: number;
  /**
   * Input tokens written to the prompt cache. Anthropic: the 5-minute write rate (1.25 x input), which is what
   * `cache_control: {type: "ephemeral"}` buys. Models with no write surcharge: equal to `input`.
   */
  cacheWrite: number;
}

/** Price of one model. */
export interface ModelPrice extends TokenRates {
  /**
   * Band for long prompts: when a call's prompt (input + cache read + cache write tokens) is larger than
   * `aboveInputTokens`, EVERY token of that call (output included) is billed at these rates instead.
   * (Claude Haiku 5.5 above 100K prompt tokens; OpenAI GPT-6 models above 272K input tokens.)
   */
  longPrompt?: (TokenRates & { aboveInputTokens: number }) | undefined;
  /** URL of the page the rates were read from. */
  source: string;
  /** Date the rates were read or last checked, `YYYY-MM-DD`. */
  asOf: string;
  /**
   * true when every rate was read on the vendor's own page; false when a figure comes from secondary sources only
   * (see `note`) and should be checked before billing anyone.
   */
  confirmed: boolean;
  /** What is unconfirmed, or any other caveat. */
  note?: string | undefined;
}

/** Model id -> price. Keys are the ids sent to the provider (e.g. `claude-sonnet-5-5`, `gpt-6.1-terra`). */
export type PriceTable = Readonly<Record<string, ModelPrice>>;

const ANTHROPIC_PRICING = "https://platform.claude.com/docs/en/about-claude/pricing";
const OPENAI_PRICING = "https://developers.openai.com/api/docs/pricing";
const CHECKED = "2026-11-20";

/** Anthropic's uniform rates for Opus 4.5 … Opus 5 ($5 / $25; 5m write $6.25; hit $0.50). */
const OPUS_5_TIER = { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 } as const;

const SIMULATED_NOTE = "no model is called; zero price so budgets and cost reports work offline";
/** The simulated provider's models: free, so budgets and cost reports work offline. */
const SIMULATED_PRICE: ModelPrice = {
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheWrite: 0,
  source: "agent-dag simulated provider",
  asOf: CHECKED,
  confirmed: true,
  note: SIMULATED_NOTE,
};

/**
 * Built-in prices (USD per MTok), read on {@link CHECKED}. Sources:
 * - Anthropic: the pricing page (Opus 4.5-5 rows) and each model's overview page
 *   (platform.claude.com/docs/en/models/<model>/overview), which lists input, output, 5m/1h cache write and cache
 *   read. Unconfirmed figures say so in `note`.
 * - OpenAI: developers.openai.com/api/docs/pricing could not be read directly here; the figures come from several
 *   independent secondary sources quoting it (named in `note`), so every OpenAI row is `confirmed: false`.
 * - `sim-*` (simulated provider) and `fake-*` (local fakes) cost nothing.
 * Through OpenRouter, model ids look like `anthropic/claude-sonnet-5-5`; priceFor() falls back to the part after
 * the last `/`, which is right only when the router passes the vendor's price through (not verified here); override
 * such ids in `PRICES` otherwise.
 */
export const DEFAULT_PRICES: PriceTable = {
  "claude-opus-5-5": {
    input: 4,
    output: 20,
    cacheRead: 0.2,
    cacheWrite: 5,
    source: "https://platform.claude.com/docs/en/models/opus-5-5/overview",
    asOf: CHECKED,
    confirmed: true,
    note: "cache hits are 0.05 x input on this model, not the usual 0.1 x",
  },
  "claude-opus-5": {
    ...OPUS_5_TIER,
    source: "https://platform.claude.com/docs/en/models/opus-5/overview",
    asOf: CHECKED,
    confirmed: true,
  },
  "claude-opus-4-8": { ...OPUS_5_TIER, source: ANTHROPIC_PRICING, asOf: CHECKED, confirmed: true },
  "claude-opus-4-7": { ...OPUS_5_TIER, source: ANTHROPIC_PRICING, asOf: CHECKED, confirmed: true },
  "claude-opus-4-6": { ...OPUS_5_TIER, source: ANTHROPIC_PRICING, asOf: CHECKED, confirmed: true },
  "claude-opus-4-5": { ...OPUS_5_TIER, source: ANTHROPIC_PRICING, asOf: CHECKED, confirmed: true },
  "claude-sonnet-5-5": {
    input: 2,
    output: 10,
    cacheRead: 0.1,
    cacheWrite: 2.5,
    source: "https://platform.claude.com/docs/en/models/sonnet-5-5/overview",
    asOf: CHECKED,
    confirmed: false,
    note:
      "input/output/cache write confirmed on the overview page; cache read: a snapshot of that page shows $0.20, two " +
      "independent changelogs (PromptFuel v1.0.23, claudit v1.9.2, checked against the live page on 2026-10-24) report " +
      "a cut to $0.10 effective 2026-10-07",
  },
  "claude-sonnet-5": {
    input: 2,
    output: 10,
    cacheRead: 0.2,
    cacheWrite: 2.5,
    source: "https://platform.claude.com/docs/en/models/sonnet-5/overview",
    asOf: CHECKED,
    confirmed: true,
  },
  "claude-sonnet-4-6": {
    input: 3,
    output: 15,
    cacheRead: 0.3,
    cacheWrite: 3.75,
    source: ANTHROPIC_PRICING,
    asOf: CHECKED,
    confirmed: false,
    note: "$3/$15 and the 1.25 x / 0.1 x cache multipliers from secondary sources quoting the pricing page",
  },
  "claude-sonnet-4-5": {
    input: 3,
    output: 15,
    cacheRead: 0.3,
    cacheWrite: 3.75,
    source: ANTHROPIC_PRICING,
    asOf: CHECKED,
    confirmed: false,
    note: "from a copy of the official pricing table (docs.electronhub.ai, prompt caching guide)",
  },
  "claude-haiku-5-5": {
    input: 0.1,
    output: 0.5,
    cacheRead: 0.01,
    cacheWrite: 0.125,
    longPrompt: { aboveInputTokens: 100_000, input: 0.5, output: 2.5, cacheRead: 0.05, cacheWrite: 0.625 },
    source: "https://platform.claude.com/docs/en/models/haiku-5-5/overview",
    asOf: CHECKED,
    confirmed: false,
    note:
      "overview page confirms 'from $0.10 / $0.50'; the cache rates and the >100K-prompt band are from secondary " +
      "sources (apidog Haiku 5.5 API guide, claudit v1.9.2, PromptFuel v1.0.23)",
  },
  "claude-haiku-4-5": {
    input: 1,
    output: 5,
    cacheRead: 0.1,
    cacheWrite: 1.25,
    source: "https://platform.claude.com/docs/en/models/haiku-4-5/overview",
    asOf: CHECKED,
    confirmed: false,
    note: "input/output read on the overview page; cache rates derived from the pricing page's 1.25 x (5-minute write) / 0.1 x (hit) multipliers, not read",
  },
  "gpt-6.1-terra": {
    input: 1,
    output: 5,
    cacheRead: 0.05,
    cacheWrite: 1.25,
    longPrompt: { aboveInputTokens: 272_000, input: 2, output: 7.5, cacheRead: 0.1, cacheWrite: 2.5 },
    source: OPENAI_PRICING,
    asOf: CHECKED,
    confirmed: false,
    note: "secondary sources: LiteLLM blog 'GPT-6.1 Terra', apidog 'GPT-6.1 Terra pricing', PromptFuel v1.0.24; cache write = 30-minute rate",
  },
  "gpt-6.1-sol": {
    input: 2,
    output: 10,
    cacheRead: 0.1,
    cacheWrite: 2.5,
    source: OPENAI_PRICING,
    asOf: CHECKED,
    confirmed: false,
    note: "secondary sources: PromptFuel v1.0.22, codex-token-watch v0.3.3, LiteLLM blog; long-context (>272K) band not confirmed",
  },
  "gpt-6-sol": {
    input: 2,
    output: 10,
    cacheRead: 0.2,
    cacheWrite: 2.5,
    source: OPENAI_PRICING,
    asOf: CHECKED,
    confirmed: false,
    note: "secondary source: codexometer v0.18.4 (OpenAI pricing of 2026-09-22); long-context (>272K) band not modelled",
  },
  "gpt-6-luna": {
    input: 0.1,
    output: 0.5,
    cacheRead: 0.01,
    cacheWrite: 0.125,
    source: OPENAI_PRICING,
    asOf: CHECKED,
    confirmed: false,
    note: "secondary source: codexometer v0.18.4 (OpenAI pricing of 2026-09-22); long-context (>272K) band not modelled",
  },
  "gpt-5.4-mini": {
    input: 0.75,
    output: 4.5,
    cacheRead: 0.075,
    cacheWrite: 0.75,
    source: OPENAI_PRICING,
    asOf: CHECKED,
    confirmed: false,
    note: "secondary sources (benchlm.ai, tokenmix.ai, morphllm.com, April-June 2026); no cache-write surcharge; >270K band not modelled",
  },
  "gpt-5.4-nano": {
    input: 0.2,
    output: 1.25,
    cacheRead: 0.02,
    cacheWrite: 0.2,
    source: OPENAI_PRICING,
    asOf: CHECKED,
    confirmed: false,
    note: "secondary sources (benchlm.ai, morphllm.com, April-June 2026); no cache-write surcharge",
  },
  "sim-fast": SIMULATED_PRICE,
  "sim-balanced": SIMULATED_PRICE,
  "sim-deep": SIMULATED_PRICE,
  "fake-anthropic": {
    input: 0,
    output: 0,
    cacheRead: 0,
    cacheWrite: 0,
    source: "agent-dag local/fake-providers",
    asOf: CHECKED,
    confirmed: true,
    note: "local fake",
  },
  "fake-openai": {
    input: 0,
    output: 0,
    cacheRead: 0,
    cacheWrite: 0,
    source: "agent-dag local/fake-providers",
    asOf: CHECKED,
    confirmed: true,
    note: "local fake",
  },
};

/**
 * The price of `model`: an exact key of `table`; else, for any `sim-*` or `fake-*` id, a zero price; else the id
 * with a `vendor/` prefix removed (OpenRouter style, `anthropic/claude-opus-5`); else the id with a dated snapshot
 * suffix removed (`claude-haiku-4-5-20251001` -> `claude-haiku-4-5`).
 * @returns the price, or undefined when the model has none.
 */
export function priceFor(model: string, table: PriceTable): ModelPrice | undefined {
  const exact = table[model];
  if (exact) return exact;
  if (/^(sim|fake)-/.test(model)) {
    return {
      input: 0,
      output: 0,
      cacheRead: 0,
      cacheWrite: 0,
      source: "agent-dag simulated or fake model",
      asOf: CHECKED,
      confirmed: true,
    };
  }
  const slash = model.lastIndexOf("/");
  if (slash >= 0 && slash < model.length - 1) return priceFor(model.slice(slash + 1), table);
  const undated = model.replace(/-\d{8}$/, "");
  return undated !== model ? table[undated] : undefined;
}
