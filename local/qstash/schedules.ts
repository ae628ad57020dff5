import { randomBytes } from "node:crypto";
import { CronExpressionError, parseScheduleCron, type ScheduleCron } from "./cron.js";
import { parseDurationMs } from "./duration.js";
import { arrayValues, bodyView, headerView, type MessageRecord } from "./message.js";
import { type PublishInput, type PublishRequest, PublishRequestError, parsePublish } from "./publish-request.js";
import { newMessageId } from "./scheduler.js";

/** Longest single Node timer, in ms (2^31 - 1); a later firing re-arms on the way. */
const MAX_TIMER_MS = 2_147_483_647;

/** Most recent firings a schedule reports in `lastScheduleStates` (ours; QStash does not document a number). */
const KEPT_FIRINGS = 10;

/** A new schedule id, `scd_` + 26 url-safe random characters (QStash's ids start with `scd_`, B3). */
export function newScheduleId(): string {
  return `scd_${randomBytes(20).toString("base64url").slice(0, 26)}`;
}

/** One schedule held by the emulator: the message template it publishes on each firing, and its state. */
export interface ScheduleRecord {
  readonly id: string;
  readonly cron: ScheduleCron;
  /** Everything a firing's message copies (delay removed: `delayMs` applies per firing). */
  readonly template: PublishRequest;
  /** `Upstash-Delay` of each firing, ms. */
  readonly delayMs: number;
  readonly createdAt: number;
  paused: boolean;
  /** Latest firing time fired or skipped (unix ms): no firing at or before it happens any more. */
  cursor: number;
  /** Time of the latest firing, unix ms. */
  lastScheduleTime?: number;
  /** Message id of each of the latest firings → whether its first answer was a success (QStash's states). */
  readonly lastStates: Map<string, "IN_PROGRESS" | "SUCCESS" | "FAIL">;
  cancelTimer?: () => void;
}

/** Options of {@link ScheduleBook}. */
export interface ScheduleBookOptions {
  /** Enqueues one firing's message (the scheduler's `add`). */
  publish: (rec: MessageRecord) => void;
  log: (line: string) => void;
}

/**
 * The QStash emulator's schedules (docs/upstash-protocols.md B3 "schedules", B4 "Schedule"): stored in memory,
 * each firing a new message with `scheduleId` (sent as `Upstash-Schedule-Id`) and `createdAt` = the firing time,
 * fired on real time by timers at each cron occurrence (croner), and, for tests, by {@link advanceTo}, which fires
 * every occurrence up to a given time at once. A firing is never fired twice: each schedule keeps a cursor (the
 * latest occurrence fired or skipped) that both paths move forward. A paused schedule skips its occurrences; on
 * resume it fires from the next occurrence after the resume.
 */
export class ScheduleBook {
  readonly #schedules = new Map<string, ScheduleRecord>();
  #closed = false;

  constructor(private readonly opts: ScheduleBookOptions) {}

  /**
   * Creates a schedule, or replaces the one with `Upstash-Schedule-Id` (QStash discards the old one). `input` is
   * read like a publish (B2); `Upstash-Cron` is required.
   * @returns the schedule id.
   * @throws PublishRequestError (-> 400) for a missing or invalid cron, a queue, or any invalid publish header.
   */
  create(input: PublishInput): string {
    const expression = input.headers["upstash-cron"];
    if (expression === undefined || expression.trim() === "") throw new PublishRequestError("Upstash-Cron is required");
    let cron: ScheduleCron;
    try {
      cron = parseScheduleCron(expression);
    } catch (err) {
      if (err instanceof CronExpressionError) throw new PublishRequestError(err.message);
      throw err;
    }
    if (input.headers["upstash-queue-name"] !== undefined) {
      throw new PublishRequestError("schedules over queues are not supported by the local stack");
    }
    const { "upstash-delay": delay, "upstash-not-before": _nb, ...rest } = input.headers;
    const delayMs = delay === undefined ? 0 : parseDurationMs(delay);
    if (delayMs === undefined) throw new PublishRequestError(`invalid Upstash-Delay: "${delay}"`);
    const template = parsePublish({ ...input, headers: rest });
    const given = input.headers["upstash-schedule-id"];
    const id = given === undefined || given === "" ? newScheduleId() : given;
    this.delete(id);
    const rec: ScheduleRecord = {
      id,
      cron,
      template,
      delayMs,
      createdAt: input.now,
      paused: false,
      cursor: input.now,
      lastStates: new Map(),
    };
    this.#schedules.set(id, rec);
    this.#arm(rec);
    return id;
  }

  /** The schedule `id`, if any. */
  get(id: string): ScheduleRecord | undefined {
    return this.#schedules.get(id);
  }

  /** Every schedule, oldest first. */
  list(): ScheduleRecord[] {
    return [...this.#schedules.values()];
  }

  /** Deletes schedule `id` (its messages already published stay). @returns false when there was none. */
  delete(id: string): boolean {
    const rec = this.#schedules.get(id);
    if (!rec) return false;
    rec.cancelTimer?.();
    this.#schedules.delete(id);
    return true;
  }

  /** Pauses schedule `id`: it fires nothing until resumed. @returns false when there is none. */
  pause(id: string): boolean {
    const rec = this.#schedules.get(id);
    if (!rec) return false;
    rec.paused = true;
    rec.cancelTimer?.();
    rec.cancelTimer = undefined;
    return true;
  }

  /** Resumes schedule `id` from its next occurrence after `now` (missed ones are skipped). @returns false when none. */
  resume(id: string, now = Date.now()): boolean {
    const rec = this.#schedules.get(id);
    if (!rec) return false;
    if (rec.paused) {
      rec.paused = false;
      rec.cursor = Math.max(rec.cursor, now);
      this.#arm(rec);
    }
    return true;
  }

  /**
   * Test hook: fires, for every schedule, each occurrence after its cursor and at or before `toMs` (unix ms; may be
   * in the future), each as a message created at its occurrence; a paused schedule skips them. Real-time timers
   * never fire those occurrences again.
   * @returns the message ids published, in firing order per schedule.
   */
  advanceTo(toMs: number): string[] {
    const fired: string[] = [];
    for (const rec of this.list()) fired.push(...this.#fireUpTo(rec, toMs));
    return fired;
  }

  /** Records the outcome of a firing's first answer (for `lastScheduleStates`). */
  settled(scheduleId: string, messageId: string, success: boolean): void {
    const rec = this.#schedules.get(scheduleId);
    if (rec?.lastStates.has(messageId)) rec.lastStates.set(messageId, success ? "SUCCESS" : "FAIL");
  }

  /** Stops every timer and forgets every schedule. */
  close(): void {
    this.#closed = true;
    for (const rec of this.#schedules.values()) rec.cancelTimer?.();
    this.#schedules.clear();
  }

  #fireUpTo(rec: ScheduleRecord, toMs: number): string[] {
    const fired: string[] = [];
    for (let at = rec.cron.next(rec.cursor); at !== undefined && at <= toMs; at = rec.cron.next(at)) {
      rec.cursor = at;
      if (!rec.paused) fired.push(this.#fire(rec, at));
    }
    rec.cursor = Math.max(rec.cursor, toMs);
    if (!rec.paused) this.#arm(rec);
    return fired;
  }

  #fire(rec: ScheduleRecord, at: number): string {
    const { template } = rec;
    const msg: MessageRecord = {
      url: template.url,
      method: template.method,
      body: template.body,
      forwardHeaders: template.forwardHeaders,
      maxRetries: template.maxRetries,
      timeoutMs: template.timeoutMs,
      labels: template.labels,
      callerIp: template.callerIp,
      ...(template.contentType !== undefined ? { contentType: template.contentType } : {}),
      ...(template.retryDelayExpression !== undefined ? { retryDelayExpression: template.retryDelayExpression } : {}),
      ...(template.callback ? { callback: template.callback } : {}),
      ...(template.failureCallback ? { failureCallback: template.failureCallback } : {}),
      ...(template.flowControl ? { flowControl: template.flowControl } : {}),
      id: newMessageId(),
      kind: "message",
      scheduleId: rec.id,
      // a firing the test hook brought forward is due now, not at its (future) occurrence
      notBefore: Math.min(at, Date.now()) + rec.delayMs,
      createdAt: at,
      retried: 0,
      state: "CREATED",
    };
    rec.lastScheduleTime = at;
    rec.lastStates.set(msg.id, "IN_PROGRESS");
    while (rec.lastStates.size > KEPT_FIRINGS) rec.lastStates.delete(rec.lastStates.keys().next().value as string);
    this.opts.publish(msg);
    return msg.id;
  }

  /** Sets the timer of `rec` to its next occurrence after its cursor (real time). */
  #arm(rec: ScheduleRecord): void {
    rec.cancelTimer?.();
    rec.cancelTimer = undefined;
    if (this.#closed || rec.paused) return;
    const at = rec.cron.next(Math.max(rec.cursor, Date.now() - 1));
    if (at === undefined) return;
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now()));
    const t = setTimeout(() => {
      rec.cancelTimer = undefined;
      if (this.#schedules.get(rec.id) !== rec) return;
      if (Date.now() >= at) this.#fireUpTo(rec, Date.now());
      else this.#arm(rec);
    }, wait);
    t.unref?.();
    rec.cancelTimer = () => clearTimeout(t);
  }
}

/** JSON shape of a schedule in `GET /v2/schedules[/{id}]` (docs/upstash-protocols.md B4 "Schedule"). */
export function scheduleView(rec: ScheduleRecord): Record<string, unknown> {
  const t = rec.template;
  const view: Record<string, unknown> = {
    scheduleId: rec.id,
    cron: rec.cron.expression,
    createdAt: rec.createdAt,
    destination: t.url,
    method: t.method,
    header: headerView(t),
    ...bodyView(t.body),
    retries: t.maxRetries,
    isPaused: rec.paused,
    callerIP: t.callerIp,
    callerIp: t.callerIp,
  };
  if (rec.delayMs > 0) view["delay"] = Math.round(rec.delayMs / 1000);
  if (t.retryDelayExpression !== undefined) view["retryDelayExpression"] = t.retryDelayExpression;
  if (t.callback) {
    view["callback"] = t.callback.url;
    view["callbackHeader"] = arrayValues(t.callback.headers);
  }
  if (t.failureCallback) {
    view["failureCallback"] = t.failureCallback.url;
    view["failureCallbackHeader"] = arrayValues(t.failureCallback.headers);
  }
  if (t.flowControl) {
    view["flowControlKey"] = t.flowControl.key;
    if (t.flowControl.parallelism !== undefined) view["parallelism"] = t.flowControl.parallelism;
    if (t.flowControl.rate !== undefined) view["rate"] = t.flowControl.rate;
    view["period"] = t.flowControl.periodMs / 1000;
  }
  if (t.labels.length > 0) {
    view["label"] = t.labels[0];
    view["labels"] = t.labels;
  }
  if (rec.lastScheduleTime !== undefined) view["lastScheduleTime"] = rec.lastScheduleTime;
  const next = rec.paused ? undefined : rec.cron.next(Math.max(rec.cursor, Date.now() - 1));
  if (next !== undefined) view["nextScheduleTime"] = next;
  if (rec.lastStates.size > 0) view["lastScheduleStates"] = Object.fromEntries(rec.lastStates);
  return view;
}
