import { describe, expect, it } from "vitest";
import { ProvidersConfigError, parseProvidersConfig } from "../../../shared/providers/providers-config.js";

function issues(json: string): string[] {
  try {
    parseProvidersConfig(json);
  } catch (e) {
    expect(e).toBeInstanceOf(ProvidersConfigError);
    return (e as ProvidersConfigError).issues;
  }
  throw new Error("expected the config to be rejected");
}

describe("parseProvidersConfig", () => {
  it("treats a missing or blank var as no providers", () => {
    expect(parseProvidersConfig(undefined)).toEqual({});
    expect(parseProvidersConfig("  ")).toEqual({});
  });

  it("applies defaults", () => {
    expect(parseProvidersConfig('{"anthropic":{"type":"anthropic"},"workers-ai":{"type":"workers-ai"}}')).toEqual({
      anthropic: { type: "anthropic", apiKeySecret: "ANTHROPIC_API_KEY" },
      "workers-ai": { type: "workers-ai", binding: "AI" },
    });
  });

  const rejected: [string, string, RegExp][] = [
    ["not JSON", "{", /not JSON/],
    ["unknown type", '{"x":{"type":"gemini"}}', /^x/],
    ["openai-compatible without baseUrl", '{"openai":{"type":"openai-compatible"}}', /^openai\.baseUrl/],
    [
      "a base URL that is not a URL",
      '{"openai":{"type":"openai-compatible","baseUrl":"api.openai.com"}}',
      /^openai\.baseUrl/,
    ],
    ["an unknown field (typo)", '{"anthropic":{"type":"anthropic","apiKey":"sk-ant-leaked"}}', /apiKey/],
    ["a bad provider name", '{"Open AI":{"type":"workers-ai"}}', /lower-case/],
    ["a bad secret name", '{"anthropic":{"type":"anthropic","apiKeySecret":"my key"}}', /^anthropic\.apiKeySecret/],
    ["`simulated` used for another type", '{"simulated":{"type":"anthropic"}}', /reserved/],
  ];
  for (const [name, json, pattern] of rejected) {
    it(`rejects ${name}`, () => expect(issues(json).some((i) => pattern.test(i))).toBe(true));
  }
});
