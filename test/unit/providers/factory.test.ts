import { describe, expect, it } from "vitest";
import { startFakeAnthropic } from "../../../local/fake-providers/anthropic.js";
import { createFakeWorkersAiBinding } from "../../../local/fake-providers/workers-ai.js";
import { AnthropicProvider } from "../../../shared/providers/anthropic.js";
import { createProviders } from "../../../shared/providers/factory.js";
import { OpenAICompatibleProvider } from "../../../shared/providers/openai-compatible.js";
import { ProviderError } from "../../../shared/providers/provider.js";
import { parseProvidersConfig } from "../../../shared/providers/providers-config.js";
import { SimulatedProvider } from "../../../shared/providers/simulated.js";
import { WorkersAiProvider } from "../../../shared/providers/workers-ai.js";

const req = {
  runId: "r",
  nodeId: "n",
  agent: "a",
  system: "s",
  prompt: "p",
  model: "claude-haiku-4-5",
  maxOutputTokens: 64,
  attempt: 1,
};

describe("createProviders", () => {
  it("always has the simulated provider, even with an empty config", () => {
    const providers = createProviders({}, {});
    expect([...providers.keys()]).toEqual(["simulated"]);
    expect(providers.get("simulated")).toBeInstanceOf(SimulatedProvider);
  });

  it("builds one provider per entry, named by its key", () => {
    const config = parseProvidersConfig(
      JSON.stringify({
        anthropic: { type: "anthropic" },
        openrouter: {
          type: "openai-compatible",
          baseUrl: "https://openrouter.ai/api/v1",
          apiKeySecret: "OPENROUTER_API_KEY",
        },
        ollama: { type: "openai-compatible", baseUrl: "http://localhost:11434/v1" },
        "workers-ai": { type: "workers-ai" },
      }),
    );
    const providers = createProviders(config, {
      ANTHROPIC_API_KEY: "k1",
      OPENROUTER_API_KEY: "k2",
      AI: createFakeWorkersAiBinding(),
    });
    expect([...providers.keys()]).toEqual(["simulated", "anthropic", "openrouter", "ollama", "workers-ai"]);
    expect(providers.get("anthropic")).toBeInstanceOf(AnthropicProvider);
    expect(providers.get("openrouter")).toBeInstanceOf(OpenAICompatibleProvider);
    expect(providers.get("workers-ai")).toBeInstanceOf(WorkersAiProvider);
    for (const [name, p] of providers) expect(p.name).toBe(name);
  });

  it("looks the API key up in env under the configured secret name and calls the configured base URL", async () => {
    const fake = await startFakeAnthropic({ apiKey: "from-env" });
    try {
      const config = parseProvidersConfig(
        JSON.stringify({ claude: { type: "anthropic", baseUrl: fake.baseUrl, apiKeySecret: "MY_CLAUDE_KEY" } }),
      );
      const r = await createProviders(config, { MY_CLAUDE_KEY: "from-env" }).get("claude")?.generate(req);
      expect(r?.provider).toBe("claude");
      expect(fake.calls()[0]?.headers["x-api-key"]).toBe("from-env");
    } finally {
      await fake.close();
    }
  });

  it("creates providers whose secret or binding is missing, failing each call non-retryable", async () => {
    const config = parseProvidersConfig(
      JSON.stringify({ anthropic: { type: "anthropic" }, "workers-ai": { type: "workers-ai", binding: "MY_AI" } }),
    );
    const providers = createProviders(config, { ANTHROPIC_API_KEY: "", MY_AI: "not a binding" });
    await expect(providers.get("anthropic")?.generate(req)).rejects.toMatchObject({
      kind: "non-retryable",
      message: "anthropic: API key secret ANTHROPIC_API_KEY is not set",
    });
    await expect(providers.get("workers-ai")?.generate(req)).rejects.toBeInstanceOf(ProviderError);
  });

  it("passes the simulated latency on, and a `simulated` entry overrides it", async () => {
    const slow = createProviders({}, {}, { simulatedLatencyMs: 60_000 }).get("simulated") as SimulatedProvider;
    const ctl = new AbortController();
    const pending = slow.generate({ ...req, signal: ctl.signal });
    ctl.abort(new Error("stop"));
    await expect(pending).rejects.toThrow("stop"); // it was waiting: the latency reached the provider
    const fast = createProviders(
      parseProvidersConfig('{"simulated":{"type":"simulated","latencyMs":0}}'),
      {},
      { simulatedLatencyMs: 60_000 },
    ).get("simulated");
    await expect(fast?.generate(req)).resolves.toMatchObject({ simulated: true });
  });
});
