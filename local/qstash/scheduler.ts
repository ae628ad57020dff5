import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Chaos } from "../chaos.js";
import type { StatsCounter } from "../stats.js";
import { callbackBody } from "./callback-body.js";
import type { SigningKeys } from "./credentials.js";
import { type AttemptOutcome, isNonRetryable, isSuccess, sendAttempt } from "./delivery.js";
import type { DeadLetterQueue } from "./dlq.js";
import type { EventLog, EventState } from "./events.js";
import type { MessageFilter } from "./filter.js";
import type { FlowControlRegistry } from "./flow-control.js";
import type { CallbackSpec, MessageKind, MessageRecord } from "./message.js";
import { nextRetryDelayMs } from "./retry.js";
import { compileRetryDelay } from "./retry-expression.js";
import { signDelivery } from "./signer.js";

/** `User-Agent` of every delivery (docs/upstash-protocols.md B5). */
export const QSTASH_USER_AGENT = "Upstash-QStash";

/** Longest single Node timer, in ms (2^31 - 1). */
const MAX_TIMER_MS = 2_147_483_647;

/** A new message id, `msg_` + 26 url-safe random characters. */
export function newMessageId(): string {
  return `msg_${randomBytes(20).toString("base64url").slice(0, 26)}`;
}

/** Everything the scheduler works with. */
export interface SchedulerDeps {
  keys: SigningKeys;
  chaos: Chaos;
  stats: StatsCounter;
  flow: FlowControlRegistry;
  dlq: DeadLetterQueue;
  events: EventLog;
  /** Divisor of every retry wait (>= 1 speeds up). */
  retrySpeedup: number;
  log: (line: string) => void;
  /** Told when a message (not a callback) is DELIVERED, FAILED or CANCELLED. */
  finished?: (rec: MessageRecord, state: "DELIVERED" | "FAILED" | "CANCELLED") => void;
}

interface Entry {
  rec: MessageRecord;
  /** Cancels the pending wait until notBefore / the next retry (a timeout, or an immediate when it is due). */
  cancelTimer?: () => void;
  /** Flow-control key whose waitlist holds this entry. */
  waitingKey?: string;
  /** Set while an attempt is in flight. */
  inFlight: boolean;
  cancelled: boolean;
  /** When the latest attempt's answer (or error) came back, unix ms: the time of its DELIVERED/ERROR/FAILED event. */
  answeredAt?: number;
}

/**
 * The delivery engine of the QStash emulator (docs/upstash-protocols.md B5, B8). Each message waits for its
 * `notBefore`, then (if it has a flow-control key) for a slot of its key, then is sent (signed, B6). A 2xx marks
 * it DELIVERED; anything else is retried after {@link nextRetryDelayMs} until `maxRetries` retries were made,
 * then it goes to the DLQ (FAILED) and its failure callback is published. A 489 with
 * `Upstash-NonRetryable-Error: true` fails at once. The success callback is published after every attempt that
 * got an HTTP response. Callbacks are messages of their own (signed with `sub` = callback URL, retried, never
 * flow-controlled). Chaos: `deliveryDelayMs` waits before each attempt; `duplicateDelivery` sends each attempt
 * twice concurrently (both copies share the flow-control slot; see #afterAttempt for how they settle).
 */
export class Scheduler {
  readonly #entries = new Map<string, Entry>();
  #idleWaiters: Array<() => void> = [];
  readonly #shutdown = new AbortController();

  constructor(private readonly deps: SchedulerDeps) {}

  /** Registers a new message (or callback) and schedules its first attempt at `rec.notBefore`. */
  add(rec: MessageRecord): void {
    if (this.#shutdown.signal.aborted) return;
    const entry: Entry = { rec, inFlight: false, cancelled: false };
    this.#entries.set(rec.id, entry);
    if (rec.kind === "message" && rec.flowControl) this.deps.flow.configure(rec.flowControl);
    this.#event(rec, "CREATED", { nextDeliveryTime: rec.notBefore });
    this.#schedule(entry, rec.notBefore);
  }

  /** The message `id` while it is not finished (queued, delayed, in flight or awaiting a retry). */
  get(id: string): MessageRecord | undefined {
    return this.#entries.get(id)?.rec;
  }

  /** Unfinished messages, oldest first. */
  list(): MessageRecord[] {
    return [...this.#entries.values()].map((e) => e.rec);
  }

  /**
   * Cancels an unfinished message: no further attempts, retries or callbacks. An attempt already in flight is
   * not interrupted (as in QStash); the message is dropped when it returns.
   * @returns true when the message was unfinished and is now cancelled.
   */
  cancel(id: string): boolean {
    const entry = this.#entries.get(id);
    if (!entry || entry.cancelled) return false;
    entry.cancelled = true;
    entry.cancelTimer?.();
    entry.cancelTimer = undefined;
    if (entry.waitingKey) this.deps.flow.remove(entry.waitingKey, id);
    entry.waitingKey = undefined;
    if (!entry.inFlight) this.#finish(entry, "CANCELLED");
    return true;
  }

  /**
   * Cancels unfinished published messages (not callbacks) matching `filter`, oldest first, at most `limit`
   * (undefined = all). @returns how many were cancelled.
   */
  cancelWhere(filter: MessageFilter, limit = Number.POSITIVE_INFINITY): number {
    let n = 0;
    for (const e of [...this.#entries.values()]) {
      if (n >= limit) break;
      if (e.rec.kind === "message" && !e.cancelled && filter.matches(e.rec) && this.cancel(e.rec.id)) n += 1;
    }
    return n;
  }

  /** Resolves when no message or callback is queued, delayed, in flight or awaiting a retry. */
  idle(): Promise<void> {
    if (this.#entries.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Number of unfinished messages and callbacks. */
  size(): number {
    return this.#entries.size;
  }

  /** Stops everything: clears timers, aborts in-flight attempts, forgets all messages, resolves idle waiters. */
  close(): void {
    this.#shutdown.abort();
    for (const e of this.#entries.values()) e.cancelTimer?.();
    this.#entries.clear();
    this.deps.flow.close();
    this.#resolveIdle();
  }

  #schedule(entry: Entry, at: number): void {
    const wait = Math.max(0, at - Date.now());
    // setTimeout fires at once beyond 2^31-1 ms (~24.8 days); longer delays (QStash allows up to a year) hop.
    if (wait > MAX_TIMER_MS) {
      const t = setTimeout(() => this.#schedule(entry, at), MAX_TIMER_MS);
      entry.cancelTimer = () => clearTimeout(t);
      return;
    }
    // setTimeout(fn, 0) waits at least 1 ms in Node; a message that is due goes on the next turn of the loop
    if (wait === 0) {
      const i = setImmediate(() => this.#ready(entry));
      entry.cancelTimer = () => clearImmediate(i);
    } else {
      const t = setTimeout(() => this.#ready(entry), wait);
      entry.cancelTimer = () => clearTimeout(t);
    }
  }

  #ready(entry: Entry): void {
    entry.cancelTimer = undefined;
    if (entry.cancelled || this.#shutdown.signal.aborted) return;
    const fc = entry.rec.kind === "message" ? entry.rec.flowControl : undefined;
    if (!fc) {
      void this.#attempt(entry);
      return;
    }
    entry.waitingKey = fc.key;
    this.deps.flow.enqueue(fc.key, entry.rec.id, () => {
      entry.waitingKey = undefined;
      void this.#attempt(entry, fc.key);
    });
  }

  async #attempt(entry: Entry, flowKey?: string): Promise<void> {
    const { rec } = entry;
    entry.inFlight = true;
    rec.state = "ACTIVE";
    this.#event(rec, "ACTIVE");
    let outcomes: AttemptOutcome[] = [];
    try {
      const chaos = this.deps.chaos.get();
      if (chaos.deliveryDelayMs > 0) await sleep(chaos.deliveryDelayMs, undefined, { signal: this.#shutdown.signal });
      if (!entry.cancelled) {
        const copies = chaos.duplicateDelivery ? 2 : 1;
        outcomes = await Promise.all(Array.from({ length: copies }, () => this.#send(rec)));
      }
    } catch (err) {
      if (!this.#shutdown.signal.aborted) this.deps.log(`qstash: attempt of ${rec.id} crashed: ${String(err)}`);
      outcomes = [{ kind: "error", error: String(err) }];
    } finally {
      entry.inFlight = false;
      // stamped before the slot is released: the next delivery of the key starts (its ACTIVE event) right after
      entry.answeredAt = Date.now();
      if (flowKey !== undefined) this.deps.flow.release(flowKey);
    }
    if (this.#shutdown.signal.aborted) return;
    if (entry.cancelled || outcomes.length === 0) {
      this.#finish(entry, "CANCELLED");
      return;
    }
    await this.#afterAttempt(entry, outcomes);
  }

  async #send(rec: MessageRecord): Promise<AttemptOutcome> {
    const headers: Record<string, string> = { ...rec.forwardHeaders };
    if (rec.contentType !== undefined) headers["content-type"] = rec.contentType;
    headers["user-agent"] = QSTASH_USER_AGENT;
    headers["upstash-message-id"] = rec.id;
    headers["upstash-retried"] = String(rec.retried);
    headers["upstash-caller-ip"] = rec.callerIp;
    if (rec.scheduleId !== undefined) headers["upstash-schedule-id"] = rec.scheduleId;
    // GET and HEAD carry no body, so the signature covers the empty body actually sent.
    const body = rec.method === "GET" || rec.method === "HEAD" ? Buffer.alloc(0) : rec.body;
    headers["upstash-signature"] = await signDelivery(this.deps.keys.get().current, rec.url, body);
    this.deps.stats.add("qstashDeliveries");
    if (rec.kind === "callback") this.deps.stats.add("qstashCallbacks");
    if (rec.kind === "failure-callback") this.deps.stats.add("qstashFailureCallbacks");
    this.deps.stats.add("qstashDeliveryBytes", body.length);
    return sendAttempt({
      url: rec.url,
      method: rec.method,
      headers,
      body,
      timeoutMs: rec.timeoutMs,
      signal: this.#shutdown.signal,
    });
  }

  /**
   * Settles one attempt. `outcomes` has one element, or two under chaos `duplicateDelivery`: every copy that got
   * an HTTP response gets its own success callback (as each delivery of an at-least-once system would); the
   * attempt succeeded if any copy got a 2xx; otherwise the first 489-non-retryable copy, else the first copy,
   * decides between retry and dead letter.
   */
  async #afterAttempt(entry: Entry, outcomes: AttemptOutcome[]): Promise<void> {
    const { rec } = entry;
    const success = outcomes.find(isSuccess);
    const outcome = success ?? outcomes.find(isNonRetryable) ?? outcomes[0]!;
    const status = outcome.kind === "response" ? outcome.status : undefined;
    if (rec.callback) {
      for (const o of outcomes) if (o.kind === "response") this.#spawnCallback(rec, rec.callback, "callback", o);
    }
    if (success) {
      this.#finish(entry, "DELIVERED", { responseStatus: status });
      return;
    }
    const error = outcome.kind === "error" ? outcome.error : `HTTP ${outcome.status}`;
    this.#event(rec, "ERROR", { error, responseStatus: status }, entry.answeredAt);
    if (isNonRetryable(outcome) || rec.retried >= rec.maxRetries) {
      const dlqId = this.deps.dlq.add(rec, outcome);
      this.deps.stats.add("qstashDeadLetters");
      this.deps.log(
        `qstash: ${rec.kind} ${rec.id} to ${rec.url} failed after ${rec.retried + 1} attempt(s) (${error}); dead letter ${dlqId}`,
      );
      if (rec.failureCallback) this.#spawnCallback(rec, rec.failureCallback, "failure-callback", outcome, dlqId);
      this.#finish(entry, "FAILED", { error, responseStatus: status });
      return;
    }
    const expression = rec.retryDelayExpression
      ? await compileRetryDelay(rec.retryDelayExpression).catch(() => undefined)
      : undefined;
    const delay = nextRetryDelayMs({
      retried: rec.retried,
      expression,
      responseHeaders: outcome.kind === "response" ? outcome.headers : undefined,
      speedup: this.deps.retrySpeedup,
    });
    if (entry.cancelled || this.#shutdown.signal.aborted) {
      if (entry.cancelled) this.#finish(entry, "CANCELLED");
      return;
    }
    rec.retried += 1;
    rec.state = "RETRY";
    const at = Date.now() + delay;
    this.#event(rec, "RETRY", { nextDeliveryTime: Math.round(at) });
    this.#schedule(entry, at);
  }

  /** Publishes a callback or failure callback about `source` as a message of its own (B8). */
  #spawnCallback(
    source: MessageRecord,
    spec: CallbackSpec,
    kind: MessageKind,
    outcome: AttemptOutcome,
    dlqId?: string,
  ): void {
    const now = Date.now();
    const rec: MessageRecord = {
      id: newMessageId(),
      kind,
      url: spec.url,
      method: spec.method,
      body: Buffer.from(JSON.stringify(callbackBody(source, outcome, dlqId)), "utf8"),
      contentType: "application/json",
      forwardHeaders: spec.headers,
      maxRetries: spec.retries ?? source.maxRetries,
      retryDelayExpression: spec.retryDelayExpression ?? source.retryDelayExpression,
      timeoutMs: spec.timeoutMs ?? source.timeoutMs,
      labels: [],
      notBefore: now + (spec.delayMs ?? 0),
      createdAt: now,
      callerIp: source.callerIp,
      sourceMessageId: source.id,
      retried: 0,
      state: "CREATED",
    };
    this.add(rec);
  }

  #finish(
    entry: Entry,
    state: "DELIVERED" | "FAILED" | "CANCELLED",
    extra: { error?: string; responseStatus?: number } = {},
  ): void {
    if (this.#entries.get(entry.rec.id) !== entry) return; // already finished (e.g. cancelled meanwhile)
    entry.rec.state = state;
    this.#event(entry.rec, state, extra, state === "CANCELLED" ? undefined : entry.answeredAt);
    this.#entries.delete(entry.rec.id);
    if (entry.rec.kind === "message") this.deps.finished?.(entry.rec, state);
    if (this.#entries.size === 0) this.#resolveIdle();
  }

  #resolveIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  #event(
    rec: MessageRecord,
    state: EventState,
    extra: { nextDeliveryTime?: number; error?: string; responseStatus?: number } = {},
    at = Date.now(),
  ): void {
    const e = { time: at, state, messageId: rec.id, url: rec.url, ...extra };
    for (const k of Object.keys(e) as Array<keyof typeof e>) if (e[k] === undefined) delete e[k];
    this.deps.events.add(e);
  }
}
