import type { Redis } from "@upstash/redis";
import { hmgetValues } from "../util/hmget-values.js";
import { type LuaReply, LuaScripts } from "../util/lua-scripts.js";
import { RELEASE_LUA } from "./lua/release.js";
import { RESERVE_LUA } from "./lua/reserve.js";
import { SETTLE_LUA } from "./lua/settle.js";
import {
  type BudgetKeys,
  type BudgetScope,
  budgetKeys,
  RUN_BUDGET_TTL_SECONDS,
  TENANT_DAY_TTL_SECONDS,
} from "./scopes.js";
import { microUsdToUsd, usdToMicroUsd } from "./units.js";

/** The slice of the Upstash Redis client the budget store uses (created with `automaticDeserialization: false`). */
export type BudgetRedis = Pick<Redis, "createScript" | "hmget" | "hkeys">;

/** Limits of one scope; a limit left undefined does not apply. Tokens count input + output. */
export interface BudgetLimits {
  /** Tokens (input + output), integer >= 0. */
  tokens?: number | undefined;
  /** US dollars, >= 0 (kept in Redis as micro-dollars, rounded down). */
  usd?: number | undefined;
}

/** An amount of tokens and USD. */
export interface BudgetAmount {
  tokens: number;
  usd: number;
}

/** Headroom left under each limit (limit - used - reserved; negative after an overspend), null where no limit is set. */
export interface BudgetLeft {
  tokens: number | null;
  usd: number | null;
}

/** Options of {@link BudgetStore.reserve}. */
export interface ReserveOptions {
  /** ms since epoch; default `Date.now()`. */
  nowMs?: number | undefined;
  /**
   * How long the hold is kept if never settled or released (its caller died), ms: after `nowMs + holdMs` a
   * reservation that does not fit may sweep it. Default {@link DEFAULT_HOLD_MS}. Give the node's timeout plus a margin.
   */
  holdMs?: number | undefined;
}

/** Default {@link ReserveOptions.holdMs}: 3 h, over the longest node timeout (2 h) plus QStash's slack. */
export const DEFAULT_HOLD_MS = 3 * 3600 * 1000;

/**
 * Outcome of {@link BudgetStore.reserve}:
 * - `reserved`: held now; `existing`: this id already held (a retried request), `held` is what it holds;
 * - `refused`: it does not fit; nothing is held; `left` is what remains (before this request);
 * - `closed`: this id was already settled, released or swept as expired: a duplicate of a finished call, which
 *   must not run again.
 */
export type ReserveResult =
  | { ok: true; status: "reserved" | "existing"; held: BudgetAmount; left: BudgetLeft; limits: BudgetLimits }
  | { ok: false; status: "refused"; requested: BudgetAmount; left: BudgetLeft; limits: BudgetLimits }
  | {
      ok: false;
      status: "closed";
      closedAs: "settled" | "released" | "expired";
      left: BudgetLeft;
      limits: BudgetLimits;
    };

/**
 * Outcome of {@link BudgetStore.settle}. `status`: `settled`; `settled-late` (the hold had expired and been swept,
 * which charged it at its worst case: what the call did not use is given back); `settled-unreserved` (this scope
 * holds nothing under this id: nothing charged, nothing written); `duplicate` (already settled or released: nothing
 * changed, `charged` and `overHold` are zero).
 */
export interface SettleResult {
  status: "settled" | "settled-late" | "settled-unreserved" | "duplicate";
  /** What the hold was (zero when there was none). */
  held: BudgetAmount;
  /** The call's usage as reported (zero for a duplicate). */
  actual: BudgetAmount;
  /** What `used` was charged: min(actual, held) per unit. A budget is never charged more than its hold. */
  charged: BudgetAmount;
  /**
   * How far `actual` went beyond `held`, per unit (0 when within): usage the run's books record but the budget does
   * not (the hold is a cap). Non-zero only when a provider ignored maxOutputTokens or the input bound was wrong.
   */
  overHold: BudgetAmount;
  /** The scope's usage after this call. */
  used: BudgetAmount;
  limits: BudgetLimits;
  /** Whether `used` exceeds a limit: only after a limit was lowered below what was already used. */
  overLimit: boolean;
}

/**
 * Outcome of {@link BudgetStore.release}: `released` (a hold, or the charge of a hold swept as expired, given back),
 * `not-held`, or `duplicate` (already closed).
 */
export interface ReleaseResult {
  status: "released" | "not-held" | "duplicate";
  held: BudgetAmount;
}

/** Usage of one scope, for progress and `GET /v1/tenants/:t/usage`. USD values are micro-dollars / 1e6. */
export interface BudgetUsage {
  usedTokens: number;
  usedUsd: number;
  reservedTokens: number;
  reservedUsd: number;
  limitTokens?: number;
  limitUsd?: number;
  /** The exact integers behind the USD values (1 µUSD = 1e-6 USD). */
  usedMicroUsd: number;
  reservedMicroUsd: number;
  limitMicroUsd?: number;
}

/** Options of {@link BudgetStore}. */
export interface BudgetStoreOptions {
  /** Lifetime of a run scope's keys after their last write, s; default {@link RUN_BUDGET_TTL_SECONDS}. */
  runTtlSeconds?: number;
  /** Lifetime of a tenant-day scope's keys after their last write, s; default {@link TENANT_DAY_TTL_SECONDS}. */
  tenantDayTtlSeconds?: number;
}

const SCRIPTS = { reserve: RESERVE_LUA, settle: SETTLE_LUA, release: RELEASE_LUA } as const;
type ScriptName = keyof typeof SCRIPTS;
type Reply = LuaReply;

const CLOSED_AS = ["settled", "released", "expired"] as const;

/**
 * Token and USD budgets in Redis: before a call, `reserve` holds its worst case (input
 * estimate + maxOutputTokens, priced) in one Lua script per scope; after it, `settle` replaces the hold by the actual
 * usage; a failed call `release`s it. The check and the hold are one script, so concurrent reservations can never
 * together exceed a limit. Every method is idempotent on the reservation id (a retried request or delivery does not
 * hold or count twice). Units: tokens as integers, USD as integer micro-dollars in Redis (units.ts).
 *
 * A hold is a hard cap: settle charges min(actual, hold), and a hold swept past its expiry is charged at its worst
 * case (its caller died, maybe after being billed), so holds only ever move from `reserved` to `used` and
 * used + reserved <= limit holds at every step: `used` never passes a limit. Usage beyond a hold is reported
 * ({@link SettleResult.overHold}) for the run's books. Scripts run through `@upstash/redis` `createScript`
 * (EVALSHA, then EVAL on NOSCRIPT).
 */
export class BudgetStore {
  private readonly scripts: LuaScripts<ScriptName>;
  private readonly runTtl: number;
  private readonly tenantDayTtl: number;

  /**
   * @param redis Upstash Redis client created with `automaticDeserialization: false`.
   * @param prefix key prefix (config `KEY_PREFIX`).
   */
  constructor(
    private readonly redis: BudgetRedis,
    private readonly prefix: string,
    options: BudgetStoreOptions = {},
  ) {
    this.scripts = new LuaScripts(redis, SCRIPTS);
    this.runTtl = options.runTtlSeconds ?? RUN_BUDGET_TTL_SECONDS;
    this.tenantDayTtl = options.tenantDayTtlSeconds ?? TENANT_DAY_TTL_SECONDS;
  }

  /** The Redis keys of `scope` (scopes.ts). @throws RangeError for an invalid scope. */
  keys(scope: BudgetScope): BudgetKeys {
    return budgetKeys(this.prefix, scope);
  }

  /**
   * Holds `tokens` and `usd` for call `reservationId` in `scope` if used + reserved + request stays within every
   * limit given. Idempotent: the same id holds once; see {@link ReserveResult}.
   * @param tokens worst-case tokens (input estimate + maxOutputTokens); rounded up to an integer.
   * @param usd worst-case USD; rounded up to a micro-dollar.
   * @param limits the scope's limits (stored with the scope for usage readers); none given: always fits.
   * @throws RangeError for an empty id or a negative/non-finite amount, limit or holdMs; UpstashError when Redis fails.
   */
  async reserve(
    scope: BudgetScope,
    reservationId: string,
    tokens: number,
    usd: number,
    limits: BudgetLimits,
    options: ReserveOptions = {},
  ): Promise<ReserveResult> {
    const now = options.nowMs ?? Date.now();
    const holdMs = options.holdMs ?? DEFAULT_HOLD_MS;
    if (!Number.isFinite(holdMs) || holdMs < 0) throw new RangeError(`Expected holdMs >= 0, got ${holdMs}`);
    const reqTokens = toTokens(tokens, "up");
    const reqMicro = usdToMicroUsd(usd, "up");
    const limitTokens = limits.tokens === undefined ? "" : String(toTokens(limits.tokens, "down"));
    const limitMicro = limits.usd === undefined ? "" : String(usdToMicroUsd(limits.usd, "down"));
    const [status, leftT, leftM, hasT, hasM, heldT, heldM, closedAs] = await this.exec("reserve", scope, [
      checkId(reservationId),
      reqTokens,
      reqMicro,
      limitTokens,
      limitMicro,
      Math.floor(now + holdMs),
      Math.floor(now),
      this.ttl(scope),
    ]);
    const left: BudgetLeft = {
      tokens: Number(hasT) === 1 ? Number(leftT) : null,
      usd: Number(hasM) === 1 ? microUsdToUsd(Number(leftM)) : null,
    };
    const storedLimits: BudgetLimits = {
      ...(limitTokens !== "" ? { tokens: Number(limitTokens) } : {}),
      ...(limitMicro !== "" ? { usd: microUsdToUsd(Number(limitMicro)) } : {}),
    };
    switch (Number(status)) {
      case 1:
      case 2:
        return {
          ok: true,
          status: Number(status) === 1 ? "reserved" : "existing",
          held: amount(heldT, heldM),
          left,
          limits: storedLimits,
        };
      case 3:
        return { ok: false, status: "closed", closedAs: toClosedAs(closedAs), left, limits: storedLimits };
      default:
        return { ok: false, status: "refused", requested: amount(reqTokens, reqMicro), left, limits: storedLimits };
    }
  }

  /**
   * Replaces the hold of `reservationId` by the call's actual usage, charged to `used` up to the hold (never more:
   * the excess is reported as `overHold`). Idempotent: a second settle, or a settle after a release, changes nothing
   * (`duplicate`); a settle where this scope holds nothing under the id changes nothing (`settled-unreserved`).
   * @param actualTokens tokens the call used, counted the same way as the reservation (every billed input token,
   *   cache reads and writes included, plus output tokens); rounded to an integer.
   * @param actualUsd USD the call cost; rounded to the nearest micro-dollar.
   * @throws RangeError for an empty id or a negative/non-finite amount; UpstashError when Redis fails.
   */
  async settle(
    scope: BudgetScope,
    reservationId: string,
    actualTokens: number,
    actualUsd: number,
  ): Promise<SettleResult> {
    const tokens = toTokens(actualTokens, "nearest");
    const micro = usdToMicroUsd(actualUsd, "nearest");
    const [status, heldT, heldM, usedT, usedM, limT, limM, , chargedT, chargedM] = await this.exec("settle", scope, [
      checkId(reservationId),
      tokens,
      micro,
      this.ttl(scope),
    ]);
    const code = Number(status);
    const held = amount(heldT, heldM);
    const actualMicro = code === 3 ? 0 : micro;
    const actualTokensOut = code === 3 ? 0 : tokens;
    const charged = amount(chargedT, chargedM);
    const limitTokens = optionalNumber(limT);
    const limitMicro = optionalNumber(limM);
    const used = amount(usedT, usedM);
    return {
      status: code === 1 ? "settled" : code === 4 ? "settled-late" : code === 5 ? "settled-unreserved" : "duplicate",
      held,
      actual: amount(actualTokensOut, actualMicro),
      charged,
      overHold:
        code === 1 || code === 4
          ? {
              tokens: Math.max(0, actualTokensOut - Number(heldT ?? 0)),
              usd: microUsdToUsd(Math.max(0, actualMicro - Number(heldM ?? 0))),
            }
          : { tokens: 0, usd: 0 },
      used,
      limits: {
        ...(limitTokens !== undefined ? { tokens: limitTokens } : {}),
        ...(limitMicro !== undefined ? { usd: microUsdToUsd(limitMicro) } : {}),
      },
      overLimit:
        (limitTokens !== undefined && used.tokens > limitTokens) ||
        (limitMicro !== undefined && Number(usedM) > limitMicro),
    };
  }

  /**
   * Gives the hold of a failed call back and closes the id (a late reserve or settle with it changes nothing).
   * Idempotent.
   * @throws RangeError for an empty id; UpstashError when Redis fails.
   */
  async release(scope: BudgetScope, reservationId: string): Promise<ReleaseResult> {
    return this.giveBack(scope, reservationId, "release");
  }

  /**
   * Removes a hold without closing the id, so the id may reserve again: the compensation step of a multi-scope
   * reservation (reserve-scopes.ts). Use {@link release} for failed calls.
   * @throws RangeError for an empty id; UpstashError when Redis fails.
   */
  async cancel(scope: BudgetScope, reservationId: string): Promise<ReleaseResult> {
    return this.giveBack(scope, reservationId, "cancel");
  }

  /**
   * Closes the hold of a dead attempt during a recovery: like {@link release}, but changes nothing when this scope
   * holds nothing under the id (so a recovery may try every scope the call might have held in, e.g. neighbouring
   * days). A hold swept as expired has its charge given back.
   * @throws RangeError for an empty id; UpstashError when Redis fails.
   */
  async recoverRelease(scope: BudgetScope, reservationId: string): Promise<ReleaseResult> {
    return this.giveBack(scope, reservationId, "recover");
  }

  /**
   * Ids of the holds open in `scope` whose id starts with `idPrefix` (e.g. `<runId>:`), for a recovery. One HKEYS.
   * @throws RangeError for an invalid scope; UpstashError when Redis fails.
   */
  async heldIds(scope: BudgetScope, idPrefix: string): Promise<string[]> {
    const ids = (await this.redis.hkeys(this.keys(scope).res)) as unknown[];
    return ids.map(String).filter((id) => id.startsWith(idPrefix));
  }

  /**
   * The scope's usage and limits (zeros for a scope never used). One HMGET.
   * @throws RangeError for an invalid scope; UpstashError when Redis fails.
   */
  async usage(scope: BudgetScope): Promise<BudgetUsage> {
    const fields = [
      "usedTokens",
      "usedMicroUsd",
      "reservedTokens",
      "reservedMicroUsd",
      "limitTokens",
      "limitMicroUsd",
    ] as const;
    const raw = (await this.redis.hmget(this.keys(scope).totals, ...fields)) as unknown;
    const values = hmgetValues(raw, fields);
    const n = (i: number) => (values[i] == null || values[i] === "" ? undefined : Number(values[i]));
    const usedMicro = n(1) ?? 0;
    const reservedMicro = n(3) ?? 0;
    const limitTokens = n(4);
    const limitMicro = n(5);
    return {
      usedTokens: n(0) ?? 0,
      usedUsd: microUsdToUsd(usedMicro),
      reservedTokens: n(2) ?? 0,
      reservedUsd: microUsdToUsd(reservedMicro),
      ...(limitTokens !== undefined ? { limitTokens } : {}),
      ...(limitMicro !== undefined ? { limitUsd: microUsdToUsd(limitMicro), limitMicroUsd: limitMicro } : {}),
      usedMicroUsd: usedMicro,
      reservedMicroUsd: reservedMicro,
    };
  }

  private async giveBack(
    scope: BudgetScope,
    reservationId: string,
    mode: "release" | "cancel" | "recover",
  ): Promise<ReleaseResult> {
    const [status, heldT, heldM] = await this.exec("release", scope, [checkId(reservationId), mode, this.ttl(scope)]);
    const code = Number(status);
    return { status: code === 1 ? "released" : code === 3 ? "duplicate" : "not-held", held: amount(heldT, heldM) };
  }

  private ttl(scope: BudgetScope): number {
    return scope.kind === "run" ? this.runTtl : this.tenantDayTtl;
  }

  private async exec(name: ScriptName, scope: BudgetScope, args: (string | number)[]): Promise<Reply> {
    return this.scripts.exec(name, this.keys(scope).all, args);
  }
}

function checkId(id: string): string {
  if (id.length === 0) throw new RangeError("Expected a non-empty reservation id");
  return id;
}

function toTokens(value: number, rounding: "up" | "down" | "nearest"): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`Expected a token count >= 0, got ${value}`);
  return rounding === "up" ? Math.ceil(value) : rounding === "down" ? Math.floor(value) : Math.round(value);
}

function amount(tokens: unknown, microUsd: unknown): BudgetAmount {
  return { tokens: Number(tokens ?? 0), usd: microUsdToUsd(Number(microUsd ?? 0)) };
}

function optionalNumber(value: unknown): number | undefined {
  return value == null || value === "" ? undefined : Number(value);
}

function toClosedAs(value: unknown): "settled" | "released" | "expired" {
  const s = String(value);
  return (CLOSED_AS as readonly string[]).includes(s) ? (s as (typeof CLOSED_AS)[number]) : "settled";
}
