/**
 * Redaction of secrets in text bound for logs (error messages and stacks). Three passes:
 * 1. every known secret value (and each `,`/`:`-separated part of one, e.g. each key of `CACHE_ENCRYPTION_KEYS`);
 * 2. the value of `Authorization`/`Bearer`/`Basic` credentials and of `token=`/`key=`/`secret=`/`password=` pairs;
 * 3. anything that looks like key material: a run of at least {@link MIN_SECRET_LIKE_CHARS} base64/base64url
 *    characters mixing upper case, lower case and digits (random keys and tokens do; blob refs and run ids, which
 *    are lowercase hex, and source paths in stacks stay readable) — e.g. a key inside an `UpstashError`'s echoed
 *    command.
 */

/** What a redacted value is replaced with. */
export const REDACTED = "[redacted]";

/** Shortest base64-looking run treated as key material (a 128-bit key is 22 base64 characters). */
export const MIN_SECRET_LIKE_CHARS = 22;

/** Shortest known secret value (or part of one) replaced by value; shorter parts are ids such as `k1`. */
const MIN_SECRET_VALUE_CHARS = 8;

/** Names of bindings whose values are secrets: anything naming a key, token, secret or password. */
const SECRET_NAME_RE = /KEY|TOKEN|SECRET|PASSWORD|SIGNING/i;

const CREDENTIAL_RE = /\b(authorization|bearer|basic)(\s*[:=]?\s*)(?:bearer\s+|basic\s+)?[^\s"',;]+/gi;
const PAIR_RE = /\b([a-z_]*(?:token|key|secret|password)[a-z_]*)(["']?\s*[:=]\s*["']?)[^\s"',;&]+/gi;
const SECRET_LIKE_RE = new RegExp(`[A-Za-z0-9+/_-]{${MIN_SECRET_LIKE_CHARS},}={0,2}`, "g");
const looksRandom = (s: string): boolean => /[A-Z]/.test(s) && /[a-z]/.test(s) && /[0-9]/.test(s);

/**
 * The secret values among a worker's bindings (string values of names matching KEY/TOKEN/SECRET/PASSWORD/SIGNING),
 * each also split at `,` and `:` so each key of a keyring or `tenant:key` list is found on its own.
 * @returns distinct values of at least 8 characters, longest first.
 */
export function secretValuesOf(env: Record<string, unknown> | undefined): string[] {
  const out = new Set<string>();
  for (const [name, value] of Object.entries(env ?? {})) {
    if (typeof value !== "string" || !SECRET_NAME_RE.test(name)) continue;
    for (const part of [value, ...value.split(/[,:\s]/)]) {
      const p = part.trim();
      if (p.length >= MIN_SECRET_VALUE_CHARS) out.add(p);
    }
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/**
 * Returns `text` with secrets replaced by {@link REDACTED} (see the file header for what counts as one).
 * @param secrets known secret values (e.g. from {@link secretValuesOf}), replaced wherever they occur.
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join(REDACTED);
  out = out.replace(CREDENTIAL_RE, (_m, word: string, sep: string) => `${word}${sep}${REDACTED}`);
  out = out.replace(PAIR_RE, (_m, name: string, sep: string) => `${name}${sep}${REDACTED}`);
  return out.replace(SECRET_LIKE_RE, (m) => (looksRandom(m) ? REDACTED : m));
}
