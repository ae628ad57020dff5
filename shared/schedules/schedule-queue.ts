/**
 * The QStash side of schedules: QStash keeps the clock and calls the worker on each firing; the schedule's
 * definition stays in Redis (schedule-store.ts). Wire facts: docs/upstash-protocols.md B3 "schedules", B5.
 */
import type { Client } from "@upstash/qstash";
import { sha256Hex } from "../util/hash.js";

/** Retries of a firing's message (QStash's default, B5): a firing whose start failed is tried 4 times in all. */
export const FIRING_RETRIES = 3;

/**
 * The QStash schedule id of the tenant's schedule `id`: `agent-dag-` + the first 32 hex of SHA-256 of
 * `<prefix>\n<tenant>\n<id>`, so tenants (and deployments sharing a QStash account under other key prefixes) never
 * collide, and the id reveals neither.
 */
export async function qstashScheduleId(prefix: string, tenant: string, id: string): Promise<string> {
  return `agent-dag-${(await sha256Hex(`${prefix}\n${tenant}\n${id}`)).slice(0, 32)}`;
}

/** What the routes need of QStash's schedules. */
export interface ScheduleQueue {
  /**
   * Creates or replaces QStash schedule `scheduleId` (QStash discards the old one), firing `body` (JSON) to
   * `destination` on `cron` (UTC), then pauses it when `paused`.
   * @throws Error when QStash refuses or cannot be reached.
   */
  upsert(s: { scheduleId: string; cron: string; destination: string; body: string; paused: boolean }): Promise<void>;
  /** Pauses (true) or resumes (false) a schedule. @throws Error when QStash refuses (an unknown id included). */
  setPaused(scheduleId: string, paused: boolean): Promise<void>;
  /** Deletes a schedule; an unknown id is not an error. @throws Error when QStash cannot be reached. */
  delete(scheduleId: string): Promise<void>;
  /**
   * When QStash made message `messageId` (unix ms, its `createdAt`: for a schedule's message, the firing), or
   * undefined when QStash no longer knows the message.
   * @throws Error when QStash cannot be reached.
   */
  createdAt(messageId: string): Promise<number | undefined>;
}

/** True for a QStash error answer meaning "no such message/schedule": the client's `QstashError` with status 404. */
function isNotFound(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { status?: unknown }).status === 404;
}

/** {@link ScheduleQueue} over the official client. */
export class QStashScheduleQueue implements ScheduleQueue {
  constructor(private readonly client: Pick<Client, "schedules" | "messages">) {}

  async upsert(s: { scheduleId: string; cron: string; destination: string; body: string; paused: boolean }) {
    await this.client.schedules.create({
      scheduleId: s.scheduleId,
      destination: s.destination,
      cron: s.cron,
      body: s.body,
      headers: { "Content-Type": "application/json" },
      retries: FIRING_RETRIES,
    });
    if (s.paused) await this.client.schedules.pause({ schedule: s.scheduleId });
  }

  async setPaused(scheduleId: string, paused: boolean) {
    if (paused) await this.client.schedules.pause({ schedule: scheduleId });
    else await this.client.schedules.resume({ schedule: scheduleId });
  }

  async delete(scheduleId: string) {
    try {
      await this.client.schedules.delete(scheduleId);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async createdAt(messageId: string) {
    try {
      const m = await this.client.messages.get(messageId);
      return typeof m.createdAt === "number" ? m.createdAt : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}
