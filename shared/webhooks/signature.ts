/**
 * Signature checks of webhook deliveries, over the raw body bytes as received, with WebCrypto HMAC-SHA256
 * (`crypto.subtle.verify`, which compares in constant time):
 * - `github`: header `X-Hub-Signature-256: sha256=<hex HMAC of the body>` (GitHub, "Validating webhook deliveries",
 *   https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries);
 * - `hmac-sha256`: header `X-Signature-256: sha256=<hex HMAC of "<timestamp>.<body>">` with
 *   `X-Signature-Timestamp: <unix seconds>`, refused outside ±{@link SIGNATURE_TOLERANCE_SECONDS} of now. Signing
 *   the timestamp with the body and bounding its age is Stripe's scheme (`Stripe-Signature: t=…,v1=…` over
 *   `t.payload`, default tolerance 300 s) and Slack's (`v0:timestamp:body`, five minutes): a captured delivery
 *   cannot be replayed after the window, and inside it the delivery id makes a replay start nothing new.
 */
import type { HookVerifyScheme } from "./hook-spec.js";

/** Largest accepted clock difference of a generic `hmac-sha256` delivery, seconds (Stripe's default, Slack's 5 min). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** Why a delivery's signature was refused (the 401's detail; says nothing about the secret). */
export type SignatureRefusal =
  | "missing signature header"
  | "malformed signature header"
  | "signature does not match"
  | "missing or malformed timestamp"
  | "timestamp outside the tolerance window";

const UTF8 = new TextEncoder();

/** `sha256=<64 hex>` as 32 bytes, or null. */
function signatureBytes(header: string | undefined): Uint8Array | null | undefined {
  if (header === undefined) return undefined;
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!m) return null;
  const hex = m[1] as string;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * Checks a delivery's signature.
 * @param headers the request's headers (case-insensitive `get`).
 * @param body the raw body bytes, exactly as received.
 * @param secret the hook's secret (its UTF-8 bytes are the HMAC key).
 * @param nowMs current time, ms since epoch (for the generic scheme's window).
 * @returns null when the signature verifies, else the reason it was refused.
 */
export async function verifySignature(
  scheme: HookVerifyScheme,
  headers: { get(name: string): string | null },
  body: Uint8Array,
  secret: string,
  nowMs: number,
): Promise<SignatureRefusal | null> {
  const header = headers.get(scheme === "github" ? "x-hub-signature-256" : "x-signature-256") ?? undefined;
  const signature = signatureBytes(header);
  if (signature === undefined) return "missing signature header";
  if (signature === null) return "malformed signature header";
  let signed = body;
  if (scheme === "hmac-sha256") {
    const ts = headers.get("x-signature-timestamp") ?? "";
    if (!/^[0-9]{1,12}$/.test(ts)) return "missing or malformed timestamp";
    if (Math.abs(nowMs / 1000 - Number(ts)) > SIGNATURE_TOLERANCE_SECONDS)
      return "timestamp outside the tolerance window";
    const head = UTF8.encode(`${ts}.`);
    signed = new Uint8Array(head.byteLength + body.byteLength);
    signed.set(head, 0);
    signed.set(body, head.byteLength);
  }
  const key = await crypto.subtle.importKey("raw", UTF8.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "verify",
  ]);
  return (await crypto.subtle.verify("HMAC", key, signature, signed)) ? null : "signature does not match";
}

/**
 * The signature header value for `body` under `secret` (`sha256=<hex>`): what a sender computes; for the generic
 * scheme pass `timestamp` (unix seconds) and send it as `X-Signature-Timestamp`. Used by tests and docs examples.
 */
export async function signDelivery(body: Uint8Array, secret: string, timestamp?: number): Promise<string> {
  const key = await crypto.subtle.importKey("raw", UTF8.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  let data = body;
  if (timestamp !== undefined) {
    const head = UTF8.encode(`${timestamp}.`);
    data = new Uint8Array(head.byteLength + body.byteLength);
    data.set(head, 0);
    data.set(body, head.byteLength);
  }
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, data));
  return `sha256=${Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
