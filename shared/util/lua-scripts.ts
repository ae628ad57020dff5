import type { Redis } from "@upstash/redis";

/** The slice of the Upstash Redis client a {@link LuaScripts} needs. */
export type ScriptRedis = Pick<Redis, "createScript">;

/** A raw Lua reply as the client returns it with `automaticDeserialization: false`: strings, integers, nil. */
export type LuaReply = (string | number | null)[];

/**
 * A named set of Lua scripts, each run through `@upstash/redis` `createScript`: EVALSHA first, EVAL when Redis answers
 * NOSCRIPT (the SHA-1 is computed by the client from the script text, so text and hash cannot drift). One instance
 * per store; every argument is sent as a string so Lua never reformats numbers.
 */
export class LuaScripts<Name extends string> {
  private readonly scripts: Record<Name, ReturnType<Redis["createScript"]>>;

  /** @param sources script name -> Lua source (the TS constants beside each store). */
  constructor(redis: ScriptRedis, sources: Readonly<Record<Name, string>>) {
    this.scripts = Object.fromEntries(Object.entries<string>(sources).map(([name, src]) => [name, redis.createScript(src)])) as Record<
      Name,
      ReturnType<Redis["createScript"]>
    >;
  }

  /**
   * Runs script `name` with `keys` and `args` (stringified).
   * @throws UpstashError when Redis fails or the script raises an error.
   */
  async exec(name: Name, keys: readonly string[], args: readonly (string | number)[]): Promise<LuaReply> {
    return (await this.scripts[name].exec([...keys], args.map(String))) as LuaReply;
  }
}
