import { describe, expect, it } from "vitest";
import { AnthropicProvider } from "../../shared/providers/anthropic.js";
import { createProviders } from "../../shared/providers/factory.js";
import { OpenAICompatibleProvider } from "../../shared/providers/openai-compatible.js";
import { parseProvidersConfig } from "../../shared/providers/providers-config.js";
import { WorkersAiProvider } from "../../shared/providers/workers-ai.js";

/**
 * The AI SDK provider packages bundle and run inside workerd: the factory builds every provider type, and each
 * one completes a call through the SDK (HTTP providers against a stub fetch answering the vendor's documented
 * shape, Workers AI against a stub binding). The Node fakes are not reachable from workerd, hence the stubs.
 */

const req = {
  runId: "r",
  nodeId: "n",
  agent: "a",
  system: "s",
  prompt: "p",
  model: "m",
  maxOutputTokens: 64,
  attempt: 1,
  sharedContext: "shared",
};

function stubFetch(body: unknown, seen: { url: string; body: unknown }[]): typeof fetch {
  return async (input, init) => {
    seen.push({ url: String(input instanceof Request ? input.url : input), body: JSON.parse(String(init?.body)) });
    return new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } });
  };
}

describe("providers inside workerd", () => {
  it("createProviders builds each configured provider under its name", () => {
    const config = parseProvidersConfig(
      JSON.stringify({
        anthropic: { type: "anthropic" },
        openrouter: {
          type: "openai-compatible",
          baseUrl: "https://openrouter.ai/api/v1",
          apiKeySecret: "OPENROUTER_API_KEY",
        },
        "workers-ai": { type: "workers-ai" },
      }),
    );
    const providers = createProviders(config, {
      ANTHROPIC_API_KEY: "dummy",
      OPENROUTER_API_KEY: "dummy",
      AI: { run: async () => ({}) },
    });
    expect([...providers.entries()].map(([k, p]) => [k, p.name])).toEqual([
      ["simulated", "simulated"],
      ["anthropic", "anthropic"],
      ["openrouter", "openrouter"],
      ["workers-ai", "workers-ai"],
    ]);
  });

  it("Anthropic: a call runs through @ai-sdk/anthropic, with the cache breakpoint and cache usage", async () => {
    const seen: { url: string; body: unknown }[] = [];
    const fetch = stubFetch(
      {
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: "claude-haiku-4-5",
        content: [{ type: "text", text: "hello from the stub" }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage: { input_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 1500, output_tokens: 5 },
      },
      seen,
    );
    const r = await new AnthropicProvider({ apiKey: "dummy", baseUrl: "https://anthropic.stub/v1", fetch }).generate({
      ...req,
      model: "claude-haiku-4-5",
    });
    expect(r).toMatchObject({
      text: "hello from the stub",
      stopReason: "end",
      usage: { inputTokens: 3, outputTokens: 5, cacheReadTokens: 1500 },
    });
    expect(seen[0]?.url).toBe("https://anthropic.stub/v1/messages");
    expect(seen[0]?.body).toMatchObject({
      system: [
        { type: "text", text: "shared", cache_control: { type: "ephemeral" } },
        { type: "text", text: "s" },
      ],
    });
  });

  it("OpenAI-compatible: a call runs through @ai-sdk/openai-compatible", async () => {
    const seen: { url: string; body: unknown }[] = [];
    const fetch = stubFetch(
      {
        id: "chatcmpl-1",
        object: "chat.completion",
        created: 0,
        model: "gpt-6.1-terra",
        choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "length" }],
        usage: {
          prompt_tokens: 300,
          completion_tokens: 2,
          total_tokens: 302,
          prompt_tokens_details: { cached_tokens: 256 },
        },
      },
      seen,
    );
    const r = await new OpenAICompatibleProvider({
      name: "openai",
      baseUrl: "https://openai.stub/v1",
      apiKey: "dummy",
      fetch,
    }).generate(req);
    expect(r).toMatchObject({
      text: "hi",
      stopReason: "max_tokens",
      usage: { inputTokens: 44, outputTokens: 2, cacheReadTokens: 256 },
    });
    expect(seen[0]?.url).toBe("https://openai.stub/v1/chat/completions");
  });

  it("Workers AI: a call runs through workers-ai-provider against a binding", async () => {
    const calls: unknown[] = [];
    const binding = {
      run: async (model: string, inputs: Record<string, unknown>) => {
        calls.push({ model, inputs });
        return { response: "from the binding", usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } };
      },
    };
    const r = await new WorkersAiProvider({ binding }).generate({
      ...req,
      model: "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
    });
    expect(r).toMatchObject({
      text: "from the binding",
      usage: { inputTokens: 7, outputTokens: 3 },
      provider: "workers-ai",
    });
    expect(calls).toHaveLength(1);
  });
});
