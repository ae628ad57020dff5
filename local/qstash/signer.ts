import { createHash, randomBytes } from "node:crypto";
import { SignJWT } from "jose";

/** Lifetime of a delivery signature, in seconds (docs/upstash-protocols.md B6: exp = now + 300). */
export const SIGNATURE_TTL_SECONDS = 300;

/**
 * base64url (RFC 4648 section 5) of the SHA-256 of `body`, with `=` padding as real QStash sends it
 * (docs/upstash-protocols.md B6; the Receiver strips padding before comparing, B7).
 */
export function bodyHash(body: Uint8Array): string {
  const b64 = createHash("sha256").update(body).digest("base64");
  return b64.replace(/\+/g, "-").replace(/\//g, "_");
}

/**
 * Signs one delivery: an HS256 JWT whose HMAC key is the UTF-8 bytes of `signingKey` itself (including the
 * `sig_` prefix), with claims `iss: "Upstash"`, `sub: url` (the exact URL the request goes to), `exp` = now + 300,
 * `nbf` = `iat` = now (seconds), `jti: "jwt_<random>"` and `body` = {@link bodyHash} (docs/upstash-protocols.md B6).
 * @param url destination or callback URL, byte for byte as it is requested.
 * @param body the exact bytes sent.
 * @returns the compact JWT for the `Upstash-Signature` header.
 */
export async function signDelivery(
  signingKey: string,
  url: string,
  body: Uint8Array,
  nowMs = Date.now(),
): Promise<string> {
  const now = Math.floor(nowMs / 1000);
  return new SignJWT({ body: bodyHash(body) })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("Upstash")
    .setSubject(url)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + SIGNATURE_TTL_SECONDS)
    .setJti(`jwt_${randomBytes(12).toString("hex")}`)
    .sign(new TextEncoder().encode(signingKey));
}
