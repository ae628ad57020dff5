import { createHash } from "node:crypto";
import RedisMock from "ioredis-mock";
import {
  CONNECTION_COMMANDS,
  commandName,
  notAvailable,
  type RedisBackend,
  type RedisCommand,
  type RedisReply,
} from "./backend.js";
import { liftLuaError, wrapLuaScript } from "./memory-lua.js";

type MockMethod = (...args: unknown[]) => Promise<unknown>;

let instanceCounter = 0;

/** Redis' NOSCRIPT text (docs/upstash-protocols.md A5: the client's EVALSHA->EVAL fallback looks for "noscript"). */
const NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL.";

/**
 * Converts an ioredis-mock result to RESP shape. ioredis-mock returns JS values (strings, objects for HGETALL,
 * NaN for a failed INCR, booleans and fractional numbers from Lua), so this maps them the way Redis would:
 * strings -> Buffers, objects -> flat [field, value, ...] arrays, NaN -> the "not an integer" error,
 * fractional numbers -> bulk strings (or truncated integers for Lua, per Redis' Lua-to-RESP rules), `false` -> nil.
 * An Error (a Lua `{err=...}` reply, see memory-lua.ts) passes through.
 * @throws Error for a value with no Redis form, such as a function (a fengari proxy of a Lua table that escaped the
 *   shim in memory-lua.ts; converting it would call into a Lua state ioredis-mock has already closed).
 */
function toReply(value: unknown, fromLua: boolean): RedisReply {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value as Buffer;
  if (typeof value === "string") return Buffer.from(value, "utf8");
  if (typeof value === "number") {
    if (Number.isNaN(value)) throw new Error("ERR value is not an integer or out of range");
    if (Number.isInteger(value)) return value;
    return fromLua ? Math.trunc(value) : Buffer.from(String(value), "utf8");
  }
  if (typeof value === "boolean") return fromLua ? (value ? 1 : null) : value ? 1 : 0;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => toReply(v, fromLua));
  if (typeof value === "object") {
    const flat: RedisReply[] = [];
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      flat.push(Buffer.from(k, "utf8"), toReply(v, fromLua));
    return flat;
  }
  if (typeof value === "function") throw new Error("ERR in-memory backend: the Lua reply could not be converted");
  return Buffer.from(String(value), "utf8");
}

/**
 * Embedded in-memory backend over ioredis-mock (used when no Redis is reachable, or with `memory: true`).
 * Every instance has its own keyspace. Commands run one at a time behind a lock, so a transaction is atomic.
 * Scripts: EVAL caches the script under its SHA-1, EVALSHA of an unknown SHA-1 fails with NOSCRIPT, SCRIPT
 * LOAD/EXISTS/FLUSH work (docs/upstash-protocols.md A5).
 *
 * Scripts run inside the shim of memory-lua.ts, which makes Lua replies and `redis.call` number arguments convert
 * as on Redis (ioredis-mock alone turns most tables built step by step into a crash, and stores numbers unconverted).
 *
 * Limits inherited from ioredis-mock: Lua is 5.3 (fengari), not Redis' 5.1, and has no `cjson`; `redis.call`
 * errors inside Lua come back as `false` instead of aborting the script; keys are stored as UTF-8 text.
 */
export class MemoryBackend implements RedisBackend {
  readonly kind = "memory" as const;
  readonly description = "in-memory (ioredis-mock)";
  readonly #mock: Record<string, unknown>;
  readonly #scripts = new Map<string, string>();
  #lock: Promise<unknown> = Promise.resolve();

  constructor() {
    instanceCounter += 1;
    // ioredis-mock shares data between instances with the same host:port; a unique host isolates this one.
    this.#mock = new RedisMock({
      host: `agent-dag-memory-${process.pid}-${instanceCounter}`,
      lazyConnect: false,
    }) as unknown as Record<string, unknown>;
  }

  command(cmd: RedisCommand): Promise<RedisReply> {
    return this.#locked(() => this.#run(cmd));
  }

  pipeline(cmds: RedisCommand[]): Promise<RedisReply[]> {
    return Promise.all(cmds.map((c) => this.command(c).catch((e: unknown) => toError(e))));
  }

  transaction(cmds: RedisCommand[]): Promise<RedisReply[]> {
    for (const c of cmds) {
      const problem = this.#validate(c);
      if (problem)
        return Promise.reject(
          new Error(`EXECABORT Transaction discarded because of previous errors: ${problem.message}`),
        );
    }
    return this.#locked(async () => {
      const out: RedisReply[] = [];
      for (const c of cmds) out.push(await this.#run(c).catch((e: unknown) => toError(e)));
      return out;
    });
  }

  async close(): Promise<void> {
    const quit = this.#mock["quit"];
    if (typeof quit === "function") await (quit as MockMethod).call(this.#mock).catch(() => undefined);
  }

  #locked<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#lock.then(fn, fn);
    this.#lock = next.catch(() => undefined);
    return next;
  }

  /** Error for a command this backend cannot run, or undefined. */
  #validate(cmd: RedisCommand): Error | undefined {
    const name = commandName(cmd);
    if (!name) return new Error("ERR empty command");
    if (CONNECTION_COMMANDS.has(name)) return notAvailable(name);
    if (["eval", "evalsha", "eval_ro", "evalsha_ro", "script"].includes(name)) return undefined;
    if (typeof this.#mock[`${name}Buffer`] !== "function") return new Error(`ERR unknown command '${name}'`);
    return undefined;
  }

  async #run(cmd: RedisCommand): Promise<RedisReply> {
    const problem = this.#validate(cmd);
    if (problem) throw problem;
    const name = commandName(cmd);
    const args = normaliseOptions(
      name,
      cmd.slice(1).map((b) => b.toString("utf8")),
    );
    switch (name) {
      case "eval":
      case "eval_ro":
        return this.#eval(args[0] ?? "", args.slice(1));
      case "evalsha":
      case "evalsha_ro": {
        const script = this.#scripts.get((args[0] ?? "").toLowerCase());
        if (script === undefined) throw new Error(NOSCRIPT);
        return this.#eval(script, args.slice(1));
      }
      case "script":
        return this.#script(args);
      case "xadd":
      case "xrange":
      case "xlen":
        // served by memory-lua.ts's stream shim (ioredis-mock's own stream ids are unusable)
        return this.#eval(`return redis.call('${name}', KEYS[1], unpack(ARGV))`, ["1", ...args]);
      default: {
        await this.#checkNumeric(name, args);
        const fn = this.#mock[name] as MockMethod;
        return toReply(await fn.apply(this.#mock, args), false);
      }
    }
  }

  /**
   * ioredis-mock stores NaN when INCR-like commands meet a non-numeric value; Redis refuses instead and keeps
   * the value. Check first (we hold the lock, so nothing changes in between).
   */
  async #checkNumeric(name: string, args: string[]): Promise<void> {
    let current: unknown;
    if (["incr", "decr", "incrby", "decrby", "incrbyfloat"].includes(name))
      current = await (this.#mock["get"] as MockMethod).call(this.#mock, args[0]);
    else if (name === "hincrby" || name === "hincrbyfloat")
      current = await (this.#mock["hget"] as MockMethod).call(this.#mock, args[0], args[1]);
    else return;
    if (current === null || current === undefined) return;
    const text = String(current);
    if (name.endsWith("float")) {
      if (text.trim() === "" || Number.isNaN(Number(text))) throw new Error("ERR value is not a valid float");
    } else if (!/^-?\d+$/.test(text)) {
      throw new Error(
        name === "hincrby" ? "ERR hash value is not an integer" : "ERR value is not an integer or out of range",
      );
    }
  }

  /**
   * Runs `script` (cached under the SHA-1 of its own text, as Redis does) inside the shim of memory-lua.ts.
   * @throws Error with the message of a Lua `{err=...}` reply, or ioredis-mock's error for a failing script.
   */
  async #eval(script: string, rest: string[]): Promise<RedisReply> {
    this.#scripts.set(sha1(script), script);
    const fn = this.#mock["eval"] as MockMethod;
    const reply = toReply(liftLuaError(await fn.call(this.#mock, wrapLuaScript(script), ...rest)), true);
    if (reply instanceof Error) throw reply;
    return reply;
  }

  #script(args: string[]): RedisReply {
    const sub = (args[0] ?? "").toLowerCase();
    if (sub === "load") {
      const script = args[1] ?? "";
      const sha = sha1(script);
      this.#scripts.set(sha, script);
      return Buffer.from(sha, "utf8");
    }
    if (sub === "exists") return args.slice(1).map((s) => (this.#scripts.has(s.toLowerCase()) ? 1 : 0));
    if (sub === "flush") {
      this.#scripts.clear();
      return Buffer.from("OK", "utf8");
    }
    throw new Error(`ERR unknown subcommand '${args[0] ?? ""}'. Try SCRIPT HELP.`);
  }
}

const SET_OPTIONS = new Set(["EX", "PX", "EXAT", "PXAT", "NX", "XX", "KEEPTTL", "GET"]);
const ZADD_OPTIONS = new Set(["NX", "XX", "GT", "LT", "CH", "INCR"]);

/**
 * Upper-cases option keywords ioredis-mock only recognises in upper case (Redis itself is case-insensitive, and
 * @upstash/redis sends them in lower case, e.g. `["set","k","v","ex",100]`): SET options after the value, and
 * ZADD's leading flags.
 */
function normaliseOptions(name: string, args: string[]): string[] {
  if (name === "set") return args.map((a, i) => (i >= 2 && SET_OPTIONS.has(a.toUpperCase()) ? a.toUpperCase() : a));
  if (name === "zadd") {
    const out = [...args];
    for (let i = 1; i < out.length && ZADD_OPTIONS.has(out[i]!.toUpperCase()); i++) out[i] = out[i]!.toUpperCase();
    return out;
  }
  return args;
}

function sha1(text: string): string {
  return createHash("sha1").update(text, "utf8").digest("hex");
}

function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
