import type { Chaos } from "../chaos.js";
import type { StatsCounter } from "../stats.js";
import { SigningKeys } from "./credentials.js";
import { contentKey, Deduplicator, idKey } from "./dedup.js";
import { DeadLetterQueue } from "./dlq.js";
import { EventLog } from "./events.js";
import { FlowControlRegistry } from "./flow-control.js";
import type { MessageRecord } from "./message.js";
import { type PublishInput, PublishRequestError, parsePublish } from "./publish-request.js";
import { compileRetryDelay, RetryDelayExpressionError } from "./retry-expression.js";
import { newMessageId, Scheduler } from "./scheduler.js";
import { ScheduleBook } from "./schedules.js";

/** Options of {@link QStashService}. */
export interface QStashServiceOptions {
  chaos: Chaos;
  stats: StatsCounter;
  /** Divisor of every retry wait (default backoff, Upstash-Retry-Delay, Retry-After); >= 1 speeds up. */
  retrySpeedup: number;
  log: (line: string) => void;
}

/** Result of one publish: `200 {messageId, url}` or, for a duplicate, `202 {messageId, url, deduplicated: true}` (B3, B5). */
export interface PublishResult {
  status: 200 | 202;
  body: { messageId: string; url: string; deduplicated?: true };
}

/**
 * The QStash emulator's state and operations, independent of HTTP: signing keys, deduplication, scheduler,
 * schedules, flow control, DLQ and event log.
 */
export class QStashService {
  readonly keys = new SigningKeys();
  readonly dedup = new Deduplicator();
  readonly dlq = new DeadLetterQueue();
  readonly events = new EventLog();
  readonly flow = new FlowControlRegistry();
  readonly scheduler: Scheduler;
  /** Schedules (`/v2/schedules`): each firing becomes a message of {@link scheduler}. */
  readonly schedules: ScheduleBook;

  constructor(private readonly opts: QStashServiceOptions) {
    this.scheduler = new Scheduler({
      keys: this.keys,
      chaos: opts.chaos,
      stats: opts.stats,
      flow: this.flow,
      dlq: this.dlq,
      events: this.events,
      retrySpeedup: opts.retrySpeedup,
      log: opts.log,
      finished: (rec, state) => {
        if (rec.scheduleId !== undefined) this.schedules.settled(rec.scheduleId, rec.id, state === "DELIVERED");
      },
    });
    this.schedules = new ScheduleBook({
      publish: (rec) => {
        this.scheduler.add(rec);
        this.opts.stats.add("qstashMessagesPublished");
      },
      log: opts.log,
    });
  }

  /**
   * Publishes one message (a `POST /v2/publish/...` or one `/v2/batch` item): validates it, answers a duplicate
   * inside the dedup window with the first messageId, otherwise enqueues it.
   * @throws PublishRequestError (-> 400) for an invalid destination, header or Upstash-Retry-Delay expression.
   */
  async publish(input: PublishInput): Promise<PublishResult> {
    const req = parsePublish(input);
    for (const expr of [
      req.retryDelayExpression,
      req.callback?.retryDelayExpression,
      req.failureCallback?.retryDelayExpression,
    ]) {
      if (expr === undefined) continue;
      try {
        await compileRetryDelay(expr);
      } catch (err) {
        if (err instanceof RetryDelayExpressionError) throw new PublishRequestError(err.message);
        throw err;
      }
    }
    const key =
      req.deduplicationId !== undefined
        ? idKey(req.deduplicationId)
        : req.contentBasedDeduplication
          ? contentKey(req)
          : undefined;
    if (key !== undefined) {
      const existing = this.dedup.lookup(key, input.now);
      if (existing !== undefined)
        return { status: 202, body: { messageId: existing, url: req.url, deduplicated: true } };
    }
    const { deduplicationId: _d, contentBasedDeduplication: _c, ...fields } = req;
    const rec: MessageRecord = { ...fields, id: newMessageId(), kind: "message", retried: 0, state: "CREATED" };
    if (key !== undefined) this.dedup.remember(key, rec.id, input.now);
    this.scheduler.add(rec);
    this.opts.stats.add("qstashMessagesPublished");
    return { status: 200, body: { messageId: rec.id, url: rec.url } };
  }

  /**
   * Re-enqueues dead letter `dlqId` as a new message (fresh id, no retries made, due now) and removes it from
   * the DLQ. @returns the new messageId, or undefined when `dlqId` is unknown.
   */
  retryDeadLetter(dlqId: string, now = Date.now()): string | undefined {
    const dead = this.dlq.get(dlqId);
    if (!dead) return undefined;
    this.dlq.delete(dlqId);
    const rec: MessageRecord = {
      ...dead.message,
      id: newMessageId(),
      retried: 0,
      state: "CREATED",
      notBefore: now,
      createdAt: now,
    };
    this.scheduler.add(rec);
    return rec.id;
  }

  /** Stops all deliveries, schedules and timers. */
  close(): void {
    this.schedules.close();
    this.scheduler.close();
  }
}
