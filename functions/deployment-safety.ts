import type { Config } from "./env.js";

/**
 * Upstash's public development signing keys: the local QStash server's (`npx @upstash/qstash-cli dev`) and the
 * client's dev mode, hard-coded in `@upstash/qstash` 2.12.0 as `DEV_CREDENTIALS` (src/dev-server/constants.ts;
 * docs/upstash-protocols.md B9). Anyone can sign with them, so a production deploy must never accept them.
 */
export const UPSTASH_DEV_SIGNING_KEYS: readonly string[] = [
  "sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r",
  "sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs",
];

/**
 * Why this deploy must not start work, one sentence each; empty when it may. Only `ENVIRONMENT=production` (the
 * default) is checked: a signing key equal to one of {@link UPSTASH_DEV_SIGNING_KEYS} (signatures anyone can forge)
 * and an unset `PUBLIC_URL` (QStash destinations would come from the request's Host).
 */
export function unsafeDeploymentReasons(config: Pick<Config, "environment" | "signingKeys" | "publicUrl">): string[] {
  if (config.environment !== "production") return [];
  const reasons: string[] = [];
  const { current, next } = config.signingKeys;
  if (UPSTASH_DEV_SIGNING_KEYS.includes(current) || UPSTASH_DEV_SIGNING_KEYS.includes(next)) {
    reasons.push(
      "QSTASH_CURRENT_SIGNING_KEY / QSTASH_NEXT_SIGNING_KEY are Upstash's public development keys: set the keys of your QStash account",
    );
  }
  if (!config.publicUrl) {
    reasons.push("PUBLIC_URL is unset: set it to this worker's public origin (QStash calls it back there)");
  }
  return reasons;
}
