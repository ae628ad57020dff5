import { describe, expect, it } from "vitest";
import { DEFAULT_LATENCY_MS, DEFAULT_TIMEOUT_MS, UsageError, parseDemoArgs } from "../../../local/demo-args";

describe("parseDemoArgs", () => {
  it("defaults to the current directory, 1000 ms latency and a 120 s timeout", () => {
    expect(parseDemoArgs([], "/work/repo")).toEqual({
      repo: "/work/repo",
      latencyMs: DEFAULT_LATENCY_MS,
      timeoutMs: DEFAULT_TIMEOUT_MS,
      json: false,
      memory: false,
      verbose: false,
      help: false,
    });
    expect(DEFAULT_LATENCY_MS).toBe(1000);
    expect(DEFAULT_TIMEOUT_MS).toBe(120_000);
  });

  it("reads every flag, in both --flag value and --flag=value forms", () => {
    const o = parseDemoArgs(["--repo", "../other", "--latency-ms=0", "--timeout-ms", "5000", "--json", "--memory", "--verbose"], "/work/repo");
    expect(o).toEqual({ repo: "/work/other", latencyMs: 0, timeoutMs: 5000, json: true, memory: true, verbose: true, help: false });
    expect(parseDemoArgs(["--repo=/abs/path"], "/x").repo).toBe("/abs/path");
    expect(parseDemoArgs(["-h"], "/x").help).toBe(true);
  });

  it.each([
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
