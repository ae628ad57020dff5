import { errors, type Redis } from "@upstash/redis";
import { bytesToHex } from "./hash.js";

/** The slice of the Upstash Redis client a {@link LuaScripts} needs. */
export type ScriptRedis = Pick<Redis, "createScript">;

/** A pipeline of the Upstash Redis client: commands queued on it travel in one HTTP request, run in order. */
export type RedisPipeline = ReturnType<Redis["pipeline"]>;

/** A raw Lua reply as the client returns it with `automaticDeserialization: false`: strings, integers, nil. */
export type LuaReply = (string | number | null)[];

/**
 * A named set of Lua scripts, each run through `@upstash/redis` `createScript`: EVALSHA first, EVAL when Redis answers
 * NOSCRIPT (the SHA-1 is computed by the client from the script text, so text and hash cannot drift). One instance
 * per store; every argument is sent as a string so Lua never reformats numbers.
 */
export class LuaScripts<Name extends string> {
  private readonly scripts: Record<Name, ReturnType<Redis["createScript"]>>;
  private readonly sha1s = new Map<Name, Promise<string>>();

  /** @param sources script name -> Lua source (the TS constants beside each store). */
  constructor(
    redis: ScriptRedis,
    private readonly sources: Readonly<Record<Name, string>>,
  ) {
    this.scripts = Object.fromEntries(
      Object.entries<string>(sources).map(([name, src]) => [name, redis.createScript(src)]),
    ) as Record<Name, ReturnType<Redis["createScript"]>>;
  }

  /**
   * Runs script `name` with `keys` and `args` (stringified).
   * @throws UpstashError when Redis fails or the script raises an error.
   */
  async exec(name: Name, keys: readonly string[], args: readonly (string | number)[]): Promise<LuaReply> {
    return (await this.scripts[name].exec([...keys], args.map(String))) as LuaReply;
  }

  /**
   * Runs script `name` after the commands already queued on `p`, in one request: the script's EVALSHA is queued
   * last and Redis runs the pipeline in order (ordered, not atomic). Used where the script records a reference to
   * data those commands write (a node's output blob, whose key lives outside the run's hash slot and so cannot be a
   * key of the run's script). When Redis answers NOSCRIPT, the script runs again alone through
   * {@link exec} (EVALSHA, then EVAL, which loads it: two more round trips, once per script and Redis); the
   * commands before it have run by then. With nothing queued on `p`, it is {@link exec}.
   * @param p a pipeline of the same client, not yet executed; this call executes it.
   * @throws UpstashError when one of the queued commands fails (the script may have run all the same: a pipeline
   *   does not stop at an error), when Redis fails, or when the script raises an error.
   */
  async execAfter(
    name: Name,
    keys: readonly string[],
    args: readonly (string | number)[],
    p: RedisPipeline,
  ): Promise<LuaReply> {
    if (p.length() === 0) return this.exec(name, keys, args);
    const strArgs = args.map(String);
    p.evalsha(await this.sha1(name), [...keys], strArgs);
    const replies = (await p.exec({ keepErrors: true })) as { result: unknown; error?: string }[];
    const failed = replies.slice(0, -1).find((r) => r.error);
    if (failed) throw new errors.UpstashError(`Command failed: ${failed.error}`);
    const last = replies[replies.length - 1] as { result: unknown; error?: string };
    if (!last.error) return last.result as LuaReply;
    if (!last.error.toLowerCase().includes("noscript")) throw new errors.UpstashError(`Command failed: ${last.error}`);
    return this.exec(name, keys, args);
  }

  /** SHA-1 hex of a script's source, as EVALSHA names it (https://redis.io/docs/latest/commands/evalsha/). */
  private sha1(name: Name): Promise<string> {
    let sha = this.sha1s.get(name);
    if (!sha) {
      sha = crypto.subtle
        .digest("SHA-1", new TextEncoder().encode(this.sources[name]))
        .then((buf) => bytesToHex(new Uint8Array(buf)));
      this.sha1s.set(name, sha);
    }
    return sha;
  }
}
