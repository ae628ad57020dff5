import { randomBytes } from "node:crypto";

/**
 * The QStash dev server's default user token: base64 of `{"UserID":"defaultUser","Password":"defaultPassword"}`
 * (docs/upstash-protocols.md B9; hard-coded in @upstash/qstash as DEV_CREDENTIALS).
 */
export const DEV_QSTASH_TOKEN = "eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0=";

/** The dev current signing key (docs/upstash-protocols.md B9). */
export const DEV_CURRENT_SIGNING_KEY = "sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r";

/** The dev next signing key (docs/upstash-protocols.md B9). */
export const DEV_NEXT_SIGNING_KEY = "sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs";

/** A pair of signing keys as served by `GET /v2/keys`. */
export interface SigningKeyPair {
  /** Key that signs deliveries now (`sig_...`). */
  current: string;
  /** Key that becomes current after the next rotation (`sig_...`). */
  next: string;
}

/**
 * The emulator's signing keys: start as the dev keys; `rotate()` makes `next` current and draws a new random
 * `next` (`POST /v2/keys/rotate`). After a rotation `QSTASH_DEV=true` clients no longer recognise the server
 * (they compare /v2/keys with the dev keys, B9).
 */
export class SigningKeys {
  #pair: SigningKeyPair = { current: DEV_CURRENT_SIGNING_KEY, next: DEV_NEXT_SIGNING_KEY };

  /** A copy of the current pair. */
  get(): SigningKeyPair {
    return { ...this.#pair };
  }

  /** Rotates and returns the new pair. */
  rotate(): SigningKeyPair {
    this.#pair = { current: this.#pair.next, next: `sig_${randomBytes(21).toString("base64url").slice(0, 28)}` };
    return this.get();
  }
}
