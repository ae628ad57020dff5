/**
 * Schedules in Redis: one hash per tenant, `<prefix>:schedules:<tenant>`, field = schedule id, value = the stored
 * schedule as JSON. The hash is the tenant's whole list (HVALS) and its count (HLEN); a schedule is only ever
 * addressed with its tenant, so two tenants' schedules of the same id never meet. The record is the authority on
 * what a firing starts and whether it is paused; QStash only keeps the clock (schedule-queue.ts).
 */
import type { Redis } from "@upstash/redis";
import type { ScheduleSpec } from "./schedule-spec.js";

/** Most schedules per tenant (ours). Checked before a create: two racing creates may pass it by one. */
export const MAX_SCHEDULES_PER_TENANT = 100;

/** A stored schedule: the spec with `input` and `paused` filled in, plus its id, QStash schedule id and times (ms). */
export interface StoredSchedule extends Omit<ScheduleSpec, "input" | "paused"> {
  id: string;
  input: unknown;
  paused: boolean;
  /** The QStash schedule that fires it (schedule-queue.ts qstashScheduleId). */
  qstashScheduleId: string;
  createdAt: number;
  updatedAt: number;
}

/** The slice of the Upstash Redis client the store uses (created with `automaticDeserialization: false`). */
export type ScheduleRedis = Pick<Redis, "hget" | "hset" | "hdel" | "hvals" | "hlen">;

/** Schedules of every tenant (see the module header). */
export class ScheduleStore {
  /**
   * @param redis Upstash Redis client created with `automaticDeserialization: false`.
   * @param prefix key prefix (config `KEY_PREFIX`).
   */
  constructor(
    private readonly redis: ScheduleRedis,
    private readonly prefix: string,
  ) {}

  private key(tenant: string): string {
    return `${this.prefix}:schedules:${tenant}`;
  }

  /** The tenant's schedule `id`, or null. */
  async get(tenant: string, id: string): Promise<StoredSchedule | null> {
    const raw = await this.redis.hget<string>(this.key(tenant), id);
    return raw ? (JSON.parse(raw) as StoredSchedule) : null;
  }

  /** The tenant's schedules, by id. */
  async list(tenant: string): Promise<StoredSchedule[]> {
    const all = (await this.redis.hvals(this.key(tenant))) as unknown[];
    return all.map((raw) => JSON.parse(String(raw)) as StoredSchedule).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Whether the tenant already has {@link MAX_SCHEDULES_PER_TENANT} schedules. */
  async full(tenant: string): Promise<boolean> {
    return Number(await this.redis.hlen(this.key(tenant))) >= MAX_SCHEDULES_PER_TENANT;
  }

  /** Stores (creates or replaces) `schedule` of `tenant`. */
  async save(tenant: string, schedule: StoredSchedule): Promise<void> {
    await this.redis.hset(this.key(tenant), { [schedule.id]: JSON.stringify(schedule) });
  }

  /** Deletes the tenant's schedule `id`. @returns false when there was none. */
  async delete(tenant: string, id: string): Promise<boolean> {
    return Number(await this.redis.hdel(this.key(tenant), id)) > 0;
  }
}
