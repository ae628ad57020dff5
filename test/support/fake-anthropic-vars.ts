/**
 * Worker vars that route every node to a fake Anthropic endpoint (local/fake-providers/anthropic.ts): the provider,
 * its key secret, and the Claude tier map, as docs/providers.md configures a real deploy.
 * @param baseUrl the fake's base URL (`FakeProviderServer.baseUrl`).
 */
export function fakeAnthropicVars(baseUrl: string): Record<string, string> {
  return {
    PROVIDERS: JSON.stringify({
      anthropic: { type: "anthropic", baseUrl, apiKeySecret: "ANTHROPIC_API_KEY" },
    }),
    ANTHROPIC_API_KEY: "fake-key",
    DEFAULT_PROVIDER: "anthropic",
    TIERS: JSON.stringify({
      anthropic: { fast: "claude-haiku-4-5", balanced: "claude-sonnet-4-5", deep: "claude-opus-4-5" },
    }),
  };
}
