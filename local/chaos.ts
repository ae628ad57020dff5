/**
 * Chaos settings of the local QStash emulator: it misbehaves on request (duplicate deliveries, failing publishes,
 * late deliveries) so that tests can check a run survives what real QStash may do. Part of the local stack's API
 * (`LocalStack.setChaos`, local/stack.ts).
 */
export interface ChaosOptions {
  /** Deliver every message and callback twice (two concurrent, separately signed requests). */
  duplicateDelivery?: boolean;
  /** The next N publish/batch API calls answer 503 `{"error": ...}` without enqueueing anything. */
  publishErrors?: number;
  /** Wait this many milliseconds before every delivery attempt (messages and callbacks). */
  deliveryDelayMs?: number;
}

/** The resolved chaos state: every field present. */
export type ChaosState = Required<ChaosOptions>;

/**
 * Holds the chaos settings. `set()` merges: fields left `undefined` keep their value; pass `false`/`0` to turn
 * one off.
 */
export class Chaos {
  #state: ChaosState = { duplicateDelivery: false, publishErrors: 0, deliveryDelayMs: 0 };

  constructor(initial?: ChaosOptions) {
    if (initial) this.set(initial);
  }

  /**
   * Merges `c` into the current settings.
   * @throws RangeError when `publishErrors` or `deliveryDelayMs` is negative or not finite.
   */
  set(c: ChaosOptions): void {
    if (c.publishErrors !== undefined && !(Number.isInteger(c.publishErrors) && c.publishErrors >= 0)) {
      throw new RangeError(`Expected \`publishErrors\` to be an integer >= 0, got ${c.publishErrors}`);
    }
    if (c.deliveryDelayMs !== undefined && !(Number.isFinite(c.deliveryDelayMs) && c.deliveryDelayMs >= 0)) {
      throw new RangeError(`Expected \`deliveryDelayMs\` to be a finite number >= 0, got ${c.deliveryDelayMs}`);
    }
    this.#state = {
      duplicateDelivery: c.duplicateDelivery ?? this.#state.duplicateDelivery,
      publishErrors: c.publishErrors ?? this.#state.publishErrors,
      deliveryDelayMs: c.deliveryDelayMs ?? this.#state.deliveryDelayMs,
    };
  }

  /** A copy of the current settings. */
  get(): ChaosState {
    return { ...this.#state };
  }

  /** True when the current publish/batch call must fail; consumes one of the `publishErrors` budget. */
  takePublishError(): boolean {
    if (this.#state.publishErrors <= 0) return false;
    this.#state.publishErrors -= 1;
    return true;
  }
}
