import type { FlowControlSpec } from "./message.js";

/** JSON shape of `GET /v2/flowControl/{key}` (docs/upstash-protocols.md B3). */
export interface FlowControlInfo {
  flowControlKey: string;
  /** Deliveries waiting for a slot. */
  waitListSize: number;
  /** Configured parallelism (0 = unlimited). */
  parallelismMax: number;
  /** Deliveries in flight now. */
  parallelismCount: number;
  /** Configured rate per period (0 = unlimited). */
  rateMax: number;
  /** Deliveries started in the current period. */
  rateCount: number;
  /** Rate period in seconds. */
  ratePeriod: number;
  /** Start of the current rate period, unix ms. */
  ratePeriodStart: number;
  isPaused: boolean;
  isPinnedParallelism: boolean;
  isPinnedRate: boolean;
}

interface Waiter {
  id: string;
  start: () => void;
}

interface KeyState {
  parallelism?: number;
  rate?: number;
  periodMs: number;
  inFlight: number;
  waitlist: Waiter[];
  windowStart: number;
  windowCount: number;
  paused: boolean;
  timer?: NodeJS.Timeout;
}

/**
 * Per-key flow control (docs/upstash-protocols.md B5, DOCS qstash/features/flowcontrol): at most `parallelism`
 * deliveries of a key in flight, at most `rate` started per fixed window of `period`; excess deliveries wait in
 * a per-key waitlist released strictly in FIFO order. A key's limits are those of the latest message published
 * with it. Each delivery attempt (first try or retry) takes a slot and must give it back with `release`.
 */
export class FlowControlRegistry {
  readonly #keys = new Map<string, KeyState>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Updates `spec.key`'s limits (latest publish wins) and pumps the waitlist. */
  configure(spec: FlowControlSpec): void {
    const st = this.#state(spec.key);
    st.parallelism = spec.parallelism;
    st.rate = spec.rate;
    st.periodMs = spec.periodMs;
    this.#pump(spec.key);
  }

  /**
   * Queues delivery `id` under `key`; `start` runs (synchronously if a slot is free now) when the delivery may
   * begin. The caller must then call {@link release} exactly once when the attempt is over.
   */
  enqueue(key: string, id: string, start: () => void): void {
    this.#state(key).waitlist.push({ id, start });
    this.#pump(key);
  }

  /** Gives back the slot taken by a started delivery of `key`. */
  release(key: string): void {
    const st = this.#keys.get(key);
    if (!st) return;
    st.inFlight = Math.max(0, st.inFlight - 1);
    this.#pump(key);
  }

  /** Removes a waiting delivery (cancel). @returns true when it was waiting. */
  remove(key: string, id: string): boolean {
    const st = this.#keys.get(key);
    if (!st) return false;
    const i = st.waitlist.findIndex((w) => w.id === id);
    if (i < 0) return false;
    st.waitlist.splice(i, 1);
    return true;
  }

  /** Stops releasing waiting deliveries of `key` (in-flight ones finish). */
  pause(key: string): void {
    this.#state(key).paused = true;
  }

  /** Resumes a paused key. */
  resume(key: string): void {
    this.#state(key).paused = false;
    this.#pump(key);
  }

  /** Starts a fresh rate window for `key`. */
  resetRate(key: string): void {
    const st = this.#state(key);
    st.windowStart = this.now();
    st.windowCount = 0;
    this.#pump(key);
  }

  /** State of `key`, or undefined when the key was never used. */
  info(key: string): FlowControlInfo | undefined {
    const st = this.#keys.get(key);
    if (!st) return undefined;
    const windowOpen = this.now() < st.windowStart + st.periodMs;
    return {
      flowControlKey: key,
      waitListSize: st.waitlist.length,
      parallelismMax: st.parallelism ?? 0,
      parallelismCount: st.inFlight,
      rateMax: st.rate ?? 0,
      rateCount: windowOpen ? st.windowCount : 0,
      ratePeriod: st.periodMs / 1000,
      ratePeriodStart: st.windowStart,
      isPaused: st.paused,
      isPinnedParallelism: false,
      isPinnedRate: false,
    };
  }

  /** Every known key's state. */
  list(): FlowControlInfo[] {
    return [...this.#keys.keys()].map((k) => this.info(k)!);
  }

  /** Deliveries in flight across all keys. */
  inFlight(): number {
    let n = 0;
    for (const st of this.#keys.values()) n += st.inFlight;
    return n;
  }

  /** Clears every timer and forgets all waiters (used on shutdown). */
  close(): void {
    for (const st of this.#keys.values()) {
      clearTimeout(st.timer);
      st.waitlist = [];
    }
  }

  #state(key: string): KeyState {
    let st = this.#keys.get(key);
    if (!st) {
      st = { periodMs: 1000, inFlight: 0, waitlist: [], windowStart: 0, windowCount: 0, paused: false };
      this.#keys.set(key, st);
    }
    return st;
  }

  /** Starts as many waiting deliveries as the limits allow, oldest first; arms a timer for the next rate window. */
  #pump(key: string): void {
    const st = this.#keys.get(key);
    if (!st) return;
    while (!st.paused && st.waitlist.length > 0 && (st.parallelism === undefined || st.inFlight < st.parallelism)) {
      if (st.rate !== undefined) {
        const now = this.now();
        if (now >= st.windowStart + st.periodMs) {
          st.windowStart = now;
          st.windowCount = 0;
        }
        if (st.windowCount >= st.rate) {
          if (!st.timer) {
            st.timer = setTimeout(
              () => {
                st.timer = undefined;
                this.#pump(key);
              },
              st.windowStart + st.periodMs - now,
            );
          }
          return;
        }
        st.windowCount += 1;
      }
      const next = st.waitlist.shift()!;
      st.inFlight += 1;
      next.start();
    }
  }
}
