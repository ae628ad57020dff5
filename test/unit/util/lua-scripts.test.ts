import { createHash } from "node:crypto";
import { errors } from "@upstash/redis";
import { describe, expect, it } from "vitest";
import { LuaScripts, type RedisPipeline, type ScriptRedis } from "../../../shared/util/lua-scripts.js";

/**
 * LuaScripts.execAfter without Redis: the script's EVALSHA goes last in the caller's pipeline, under the SHA-1 Redis
 * names it by, and the errors of the pipeline's replies come out as the client's own.
 */

const SOURCE = "return {1, ARGV[1]}";

/** A client whose scripts record the calls of `exec` (the EVALSHA-then-EVAL path of @upstash/redis). */
function fakeRedis(execReply: unknown = ["from-exec"]) {
  const execCalls: unknown[][] = [];
  const redis = {
    createScript: () => ({ exec: async (...args: unknown[]) => (execCalls.push(args), execReply) }),
  } as unknown as ScriptRedis;
  return { redis, execCalls };
}

/** A pipeline that records what is queued on it and answers `exec` with `replies` (as `keepErrors: true` does). */
function fakePipeline(replies: { result: unknown; error?: string }[], queued = 1) {
  const commands: unknown[][] = Array.from({ length: queued }, () => ["set"]);
  let execOptions: unknown;
  const p = {
    length: () => commands.length,
    evalsha: (...args: unknown[]) => commands.push(["evalsha", ...args]),
    exec: async (opts: unknown) => ((execOptions = opts), replies),
  } as unknown as RedisPipeline;
  return { p, commands, execOptions: () => execOptions };
}

describe("LuaScripts.execAfter", () => {
  it("queues EVALSHA last, under the SHA-1 of the script's source, with every argument as a string", async () => {
    const { redis, execCalls } = fakeRedis();
    const scripts = new LuaScripts(redis, { s: SOURCE });
    const { p, commands, execOptions } = fakePipeline([{ result: "OK" }, { result: [1, "7"] }]);
    expect(await scripts.execAfter("s", ["k1"], [7], p)).toEqual([1, "7"]);
    const sha = createHash("sha1").update(SOURCE).digest("hex");
    expect(commands.at(-1)).toEqual(["evalsha", sha, ["k1"], ["7"]]);
    expect(execOptions()).toEqual({ keepErrors: true });
    expect(execCalls).toHaveLength(0);
  });

  it("with nothing queued, runs the script alone (exec)", async () => {
    const { redis, execCalls } = fakeRedis();
    const scripts = new LuaScripts(redis, { s: SOURCE });
    const { p } = fakePipeline([], 0);
    expect(await scripts.execAfter("s", ["k"], ["a"], p)).toEqual(["from-exec"]);
    expect(execCalls).toEqual([[["k"], ["a"]]]);
  });

  it("on NOSCRIPT, runs the script again alone, which loads it", async () => {
    const { redis, execCalls } = fakeRedis();
    const scripts = new LuaScripts(redis, { s: SOURCE });
    const { p } = fakePipeline([
      { result: "OK" },
      { result: null, error: "NOSCRIPT No matching script. Please use EVAL." },
    ]);
    expect(await scripts.execAfter("s", ["k"], ["a"], p)).toEqual(["from-exec"]);
    expect(execCalls).toHaveLength(1);
  });

  it("throws UpstashError naming the error when a queued command or the script fails, without running it again", async () => {
    const { redis, execCalls } = fakeRedis();
    const scripts = new LuaScripts(redis, { s: SOURCE });
    const first = fakePipeline([{ result: null, error: "OOM command not allowed" }, { result: [1] }]);
    await expect(scripts.execAfter("s", [], [], first.p)).rejects.toThrow(errors.UpstashError);
    await expect(
      scripts.execAfter(
        "s",
        [],
        [],
        fakePipeline([{ result: null, error: "OOM command not allowed" }, { result: [1] }]).p,
      ),
    ).rejects.toThrow(/OOM/);
    const script = fakePipeline([{ result: "OK" }, { result: null, error: "ERR user_script:1: boom" }]);
    await expect(scripts.execAfter("s", [], [], script.p)).rejects.toThrow(/boom/);
    expect(execCalls).toHaveLength(0);
  });
});
