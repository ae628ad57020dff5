import { describe, expect, it } from "vitest";
import {
  DEFAULT_LATENCY_MS,
  DEFAULT_TIMEOUT_MS,
  MAX_TASK_CHARS,
  parseDemoArgs,
  UsageError,
} from "../../../local/demo-args";

const reviewAll = { name: "review-all", trigger: "review-all", file: null };

describe("parseDemoArgs", () => {
  it("defaults to the current directory, 1000 ms latency and a 120 s timeout", () => {
    expect(parseDemoArgs([], "/home/me/repo")).toEqual({
      repo: "/home/me/repo",
      workflow: reviewAll,
      task: null,
      latencyMs: DEFAULT_LATENCY_MS,
      provider: "simulated",
      budget: null,
      fakeReplyTokens: null,
      timeoutMs: DEFAULT_TIMEOUT_MS,
      approval: null,
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
      "/home/me/repo",
    );
    expect(o).toEqual({
      repo: "/home/me/other",
      workflow: reviewAll,
      task: null,
      latencyMs: 0,
      provider: "simulated",
      budget: null,
      fakeReplyTokens: null,
      timeoutMs: 5000,
      approval: null,
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

  it("reads --approve or --reject, how an approval is answered, and refuses both together", () => {
    expect(parseDemoArgs(["--workflow", "review-changes", "--approve"], "/x")).toMatchObject({
      workflow: { name: "review-changes", trigger: "review-changes", file: null },
      approval: "approve",
    });
    expect(parseDemoArgs(["--reject"], "/x").approval).toBe("reject");
    expect(() => parseDemoArgs(["--approve", "--reject"], "/x")).toThrow(
      "`--approve` and `--reject` cannot be combined",
    );
    expect(() => parseDemoArgs(["--approve=no"], "/x")).toThrow(UsageError);
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

  it("reads --task (trimmed) to plan and run, and refuses an empty one or one combined with --workflow or --twice", () => {
    const o = parseDemoArgs(["--task", "  review this repository for security and performance "], "/x");
    expect(o.task).toBe("review this repository for security and performance");
    expect(parseDemoArgs(["--task=summarize the logs", "--budget-usd", "0.5"], "/x")).toMatchObject({
      task: "summarize the logs",
      budget: { usd: 0.5, onBudget: "fail" },
    });
    expect(() => parseDemoArgs(["--task", "   "], "/x")).toThrow(/--task.*empty/);
    expect(() => parseDemoArgs(["--task"], "/x")).toThrow(UsageError);
    expect(() => parseDemoArgs(["--task", "x".repeat(MAX_TASK_CHARS + 1)], "/x")).toThrow(/at most 4000/);
    expect(() => parseDemoArgs(["--task", "review", "--workflow", "hello"], "/x")).toThrow(/--workflow/);
    expect(() => parseDemoArgs(["--task", "review", "--twice"], "/x")).toThrow(/--twice/);
  });

  it("runs a bundled workflow by name, or a definition read from a .json file", () => {
    expect(parseDemoArgs(["--workflow", "hello"], "/x").workflow).toEqual({
      name: "hello",
      trigger: "hello",
      file: null,
    });
    const definition = { name: "mine", nodes: [{ id: "a", prompt: "p" }] };
    const read: string[] = [];
    const readFile = (path: string) => (read.push(path), JSON.stringify(definition));
    expect(parseDemoArgs(["--workflow=flows/mine.json"], "/home/me", readFile).workflow).toEqual({
      name: "mine",
      trigger: definition,
      file: "/home/me/flows/mine.json",
    });
    expect(read).toEqual(["/home/me/flows/mine.json"]);
  });

  it.each([
    ["not a name", "Hello World", /Expected `--workflow` to be a workflow name/],
    ["unreadable file", "gone.json", /Cannot read `--workflow` \/x\/gone.json: ENOENT/],
    ["not JSON", "bad.json", /Cannot read `--workflow` \/x\/bad.json/],
    ["no name", "noname.json", "Expected `--workflow` /x/noname.json to hold a workflow definition with a `name`"],
  ])("rejects a --workflow that is %s", (_case, value, message) => {
    const files: Record<string, string> = { "/x/bad.json": "{nope", "/x/noname.json": '{"nodes":[]}' };
    const readFile = (path: string) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: no such file, open '${path}'`);
      return text;
    };
    expect(() => parseDemoArgs(["--workflow", value], "/x", readFile)).toThrow(UsageError);
    expect(() => parseDemoArgs(["--workflow", value], "/x", readFile)).toThrow(message);
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
