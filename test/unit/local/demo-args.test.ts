import { describe, expect, it } from "vitest";
import { DEFAULT_LATENCY_MS, DEFAULT_TIMEOUT_MS, parseDemoArgs, UsageError } from "../../../local/demo-args";

describe("parseDemoArgs", () => {
  it("defaults to the current directory, 1000 ms latency and a 120 s timeout", () => {
    expect(parseDemoArgs([], "/work/repo")).toEqual({
      repo: "/work/repo",
      latencyMs: DEFAULT_LATENCY_MS,
      provider: "simulated",
      budget: null,
      fakeReplyTokens: null,
      timeoutMs: DEFAULT_TIMEOUT_MS,
      twice: false,
      json: false,
      memory: false,
      verbose: false,
      help: false,
    });
    expect(DEFAULT_LATENCY_MS).toBe(1000);
    expect(DEFAULT_TIMEOUT_MS).toBe(120_000);
  });

  it("reads every flag, in both --flag value and --flag=value forms", () => {
    const o = parseDemoArgs(
      ["--repo", "../other", "--latency-ms=0", "--timeout-ms", "5000", "--twice", "--json", "--memory", "--verbose"],
      "/work/repo",
    );
    expect(o).toEqual({
      repo: "/work/other",
      latencyMs: 0,
      provider: "simulated",
      budget: null,
      fakeReplyTokens: null,
      timeoutMs: 5000,
      twice: true,
      json: true,
      memory: true,
      verbose: true,
      help: false,
    });
    expect(() => parseDemoArgs(["--twice=yes"], "/x")).toThrow(UsageError);
    expect(parseDemoArgs(["--repo=/abs/path"], "/x").repo).toBe("/abs/path");
    expect(parseDemoArgs(["-h"], "/x").help).toBe(true);
  });

  it("reads the provider, the run budget and the fake's reply length", () => {
    const o = parseDemoArgs(
      [
        "--provider",
        "fake-anthropic",
        "--budget-usd=0.05",
        "--budget-tokens",
        "20000",
        "--on-budget",
        "downgrade",
        "--fake-reply-tokens",
        "1200",
      ],
      "/x",
    );
    expect(o.provider).toBe("fake-anthropic");
    expect(o.budget).toEqual({ usd: 0.05, tokens: 20_000, onBudget: "downgrade" });
    expect(o.fakeReplyTokens).toBe(1200);
    expect(parseDemoArgs(["--budget-usd", "2"], "/x").budget).toEqual({ usd: 2, onBudget: "fail" });
    expect(parseDemoArgs(["--budget-tokens", "0"], "/x").budget).toEqual({ tokens: 0, onBudget: "fail" });
  });

  it.each([
    [["--provider", "openai"], 'Expected `--provider` to be one of simulated, fake-anthropic, got "openai"'],
    [["--budget-usd=-1"], 'Expected `--budget-usd` to be a number in 0..1000000, got "-1"'],
    [["--budget-usd", "1e3"], /--budget-usd/],
    [["--budget-usd", "1000001"], /--budget-usd/],
    [["--budget-tokens", "1.5"], /--budget-tokens/],
    [["--budget-usd", "1", "--on-budget", "panic"], 'Expected `--on-budget` to be one of fail, downgrade, got "panic"'],
    [["--on-budget", "downgrade"], "`--on-budget` needs a budget: add `--budget-usd` or `--budget-tokens`"],
    [["--fake-reply-tokens", "1200"], "`--fake-reply-tokens` needs `--provider fake-anthropic`"],
    [["--provider", "fake-anthropic", "--fake-reply-tokens", "0"], /--fake-reply-tokens/],
    [["--latency-ms", "fast"], 'Expected `--latency-ms` to be an integer in 0..7200000, got "fast"'],
    [["--latency-ms", "-1"], /--latency-ms/],
    [["--latency-ms", "7200001"], 'Expected `--latency-ms` to be an integer in 0..7200000, got "7200001"'],
    [["--latency-ms", "1.5"], /--latency-ms/],
    [["--timeout-ms", "0"], 'Expected `--timeout-ms` to be an integer >= 1, got "0"'],
    [["--repo", ""], "Expected `--repo` to be a path, got an empty string"],
    [["--nope"], /Unknown option '--nope'/],
    [["extra"], /positional/],
    [["--repo"], /argument missing/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseDemoArgs(argv, "/x")).toThrow(UsageError);
    expect(() => parseDemoArgs(argv, "/x")).toThrow(message);
  });
});
