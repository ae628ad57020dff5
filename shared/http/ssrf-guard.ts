/**
 * The one rule deciding which URLs an http node may call (server-side request forgery guard), applied when a
 * workflow is validated (a literal URL) and again when a templated URL is rendered at dispatch:
 * 1. the URL parses (WHATWG URL), its scheme is `http` or `https`, and it has no user info;
 * 2. its host is not a literal address in a private, loopback, link-local, unique-local, CGNAT, unspecified,
 *    multicast, documentation-only or cloud-metadata range (IPv4 in any form the URL parser accepts: dotted, decimal,
 *    hex, octal, short; IPv6, including IPv4-mapped, -compatible, NAT64 and 6to4 forms of such IPv4), nor a
 *    `localhost`-style name (`localhost`, `*.localhost`, `*.local`, `*.internal`, `*.home.arpa`, a name without a
 *    dot); except that in development a loopback host the allowlist names explicitly (not by wildcard) passes, so local
 *    fakes work;
 * 3. in production, its scheme is `https`;
 * 4. its `host[:port]` matches the operator's allowlist (`HTTP_NODE_ALLOWED_HOSTS`): an entry `api.example.com`
 *    matches that host on the scheme's default port, `api.example.com:8443` that port, `*.example.com` any subdomain
 *    (not the apex) on the default port, `*.example.com:8443` the same on that port. An empty allowlist refuses
 *    every URL.
 * A name that resolves to a private address is not caught here (the worker does not resolve names; QStash sends
 * the request): the allowlist is what keeps such names out. Ranges: IANA IPv4 and IPv6 Special-Purpose Address
 * Registries (RFC 6890), RFC 6598 (CGNAT 100.64/10), RFC 4193 (fc00::/7), RFC 6761 and RFC 8375 (special names).
 */

/** Where the guard runs: `production` allows https only and no loopback at all. */
export type GuardEnvironment = "production" | "development";

/** The operator's rule: environment and allowlist entries (lower-case, as parsed by {@link parseAllowedHosts}). */
export interface HttpNodePolicy {
  environment: GuardEnvironment;
  allowedHosts: readonly string[];
  /**
   * The worker's own origins (`PUBLIC_URL`, the run's `baseUrl`): refused whatever the allowlist says. QStash signs
   * every request it delivers, an http node's call too, so a call to the worker itself would reach `/internal/*`
   * with a valid signature.
   */
  ownOrigins?: readonly string[] | undefined;
}

/** The guard's verdict: the parsed URL, or why it is refused (one sentence naming the URL's host, never its query). */
export type GuardVerdict = { ok: true; url: URL } | { ok: false; reason: string };

/**
 * Parses `HTTP_NODE_ALLOWED_HOSTS`: comma-separated `host[:port]` entries, `*.` wildcards allowed; blanks ignored,
 * lower-cased.
 * @throws Error naming an entry that is not `host[:port]` or `*.domain[:port]`.
 */
export function parseAllowedHosts(value: string | undefined): string[] {
  const entries = (value ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const e of entries) {
    if (!/^(\*\.)?(\[[0-9a-f:.]+\]|[a-z0-9_-]+(\.[a-z0-9_-]+)*)(:\d{1,5})?$/.test(e))
      throw new Error(`HTTP_NODE_ALLOWED_HOSTS entry "${e}" is not host[:port] or *.domain[:port]`);
  }
  return entries;
}

/**
 * Checks one URL against the rule above.
 * @param raw the URL as written or rendered.
 * @returns the parsed URL, or the reason it is refused.
 */
export function checkHttpNodeUrl(raw: string, policy: HttpNodePolicy): GuardVerdict {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { ok: false, reason: "the URL does not parse" };
  }
  const dev = policy.environment === "development";
  const scheme = `scheme ${url.protocol.slice(0, -1)} is refused (${dev ? "http or https" : "https"} only)`;
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, reason: scheme };
  if (url.username || url.password) return { ok: false, reason: "a URL with user info is refused" };
  if ((policy.ownOrigins ?? []).some((o) => sameHostAndPort(o, url)))
    return { ok: false, reason: `host ${url.host} is this worker: QStash would sign the call` };
  const host = url.hostname.toLowerCase();
  const port = url.port;
  const explicit = policy.allowedHosts.some((e) => !e.startsWith("*.") && entryMatches(e, host, port));
  const special = specialHost(host);
  if (special) {
    if (!(dev && special === "loopback" && explicit))
      return { ok: false, reason: `host ${url.host} is a ${special} address` };
  }
  if (url.protocol === "http:" && !dev) return { ok: false, reason: scheme };
  if (policy.allowedHosts.length === 0)
    return { ok: false, reason: "http nodes are off: HTTP_NODE_ALLOWED_HOSTS is empty" };
  if (!policy.allowedHosts.some((e) => entryMatches(e, host, port)))
    return { ok: false, reason: `host ${url.host} is not in HTTP_NODE_ALLOWED_HOSTS` };
  return { ok: true, url };
}

/** Whether origin `origin` names `url`'s host on the same effective port (an unparsable origin names nothing). */
function sameHostAndPort(origin: string, url: URL): boolean {
  let own: URL;
  try {
    own = new URL(origin);
  } catch {
    return false;
  }
  const port = (u: URL) => u.port || (u.protocol === "https:" ? "443" : "80");
  return own.hostname.toLowerCase() === url.hostname.toLowerCase() && port(own) === port(url);
}

/** Whether allowlist entry `entry` (`host[:port]`, `*.domain[:port]`) admits `host` on `port` ('' = default). */
function entryMatches(entry: string, host: string, port: string): boolean {
  const close = entry.startsWith("[") ? entry.indexOf("]") + 1 : 0;
  const colon = entry.indexOf(":", close);
  const entryHost = colon < 0 ? entry : entry.slice(0, colon);
  const entryPort = colon < 0 ? "" : entry.slice(colon + 1);
  if (entryPort !== port) return false;
  if (!entryHost.startsWith("*.")) return entryHost === host;
  const domain = entryHost.slice(2);
  return host.endsWith(`.${domain}`);
}

/** What kind of special address or name `host` (a WHATWG URL hostname, lower-case) is, or null for a public one. */
export function specialHost(host: string): string | null {
  if (host.startsWith("[")) return specialIpv6(host.slice(1, -1));
  const v4 = parseIpv4(host);
  if (v4 !== null) return specialIpv4(v4);
  const name = host.endsWith(".") ? host.slice(0, -1) : host;
  if (name === "localhost" || name.endsWith(".localhost")) return "loopback";
  if (!name.includes(".")) return "local name";
  if (/\.(local|internal|home\.arpa|localdomain|intranet|lan|corp)$/.test(name)) return "local name";
  return null;
}

/**
 * An IPv4 address as a 32-bit number, or null. The WHATWG URL parser already turns decimal (`2130706433`), hex
 * (`0x7f.1`), octal (`0177.0.0.1`) and short (`127.1`) forms into dotted quads, so after it only dotted quads remain;
 * the other forms are parsed here too for callers that pass raw strings.
 */
export function parseIpv4(host: string): number | null {
  const parts = host.split(".");
  if (parts.length < 1 || parts.length > 4 || parts.some((p) => p === "")) return null;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0x[0-9a-f]*$/i.test(p)) n = p.length === 2 ? 0 : Number.parseInt(p.slice(2), 16);
    else if (/^0[0-7]+$/.test(p)) n = Number.parseInt(p.slice(1), 8);
    else if (/^(0|[1-9][0-9]*)$/.test(p)) n = Number(p);
    else return null;
    nums.push(n);
  }
  const last = nums.pop() as number;
  if (nums.some((n) => n > 255) || last >= 256 ** (4 - nums.length)) return null;
  return nums.reduce((acc, n, i) => acc + n * 256 ** (3 - i), 0) + last;
}

/** IPv4 ranges refused, as [network address, prefix length, kind]. */
const IPV4_RANGES: readonly [string, number, string][] = [
  ["0.0.0.0", 8, "unspecified"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "CGNAT"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local (cloud metadata)"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "IETF protocol assignment"],
  ["192.0.2.0", 24, "documentation"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "benchmarking"],
  ["198.51.100.0", 24, "documentation"],
  ["203.0.113.0", 24, "documentation"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"],
];

function specialIpv4(addr: number): string | null {
  for (const [base, bits, kind] of IPV4_RANGES) {
    const start = parseIpv4(base) as number;
    const size = 2 ** (32 - bits);
    if (addr >= start && addr < start + size) return kind;
  }
  return null;
}

/** The eight 16-bit groups of an IPv6 address (the URL parser's compressed lower-case form, or any valid form). */
function ipv6Groups(text: string): number[] | null {
  let s = text;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const v4 = parseIpv4(dotted[1] as string);
    if (v4 === null) return null;
    s = `${s.slice(0, -dotted[1]!.length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const all = [...head, ...Array<string>(Math.max(0, fill)).fill("0"), ...tail];
  if (all.length !== 8 || all.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return null;
  return all.map((g) => Number.parseInt(g, 16));
}

function specialIpv6(text: string): string | null {
  const g = ipv6Groups(text);
  if (!g) return "malformed IPv6";
  const embedded = (hi: number, lo: number) => specialIpv4(hi * 65536 + lo);
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (g.every((x) => x === 0)) return "unspecified";
  if (zeros(7) && g[7] === 1) return "loopback";
  // IPv4-mapped ::ffff:a.b.c.d and IPv4-compatible ::a.b.c.d carry an IPv4 address: judged as that address
  if (zeros(5) && g[5] === 0xffff) return embedded(g[6]!, g[7]!) ?? null;
  if (zeros(6)) return embedded(g[6]!, g[7]!) ?? "IPv4-compatible";
  // NAT64 64:ff9b::/96 and 6to4 2002::/16 reach an IPv4 address too
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return embedded(g[6]!, g[7]!);
  if (g[0] === 0x2002) return embedded(g[1]!, g[2]!);
  if ((g[0]! & 0xfe00) === 0xfc00) return "unique-local";
  if ((g[0]! & 0xffc0) === 0xfe80) return "link-local";
  if ((g[0]! & 0xffc0) === 0xfec0) return "site-local";
  if ((g[0]! & 0xff00) === 0xff00) return "multicast";
  if (g[0] === 0x2001 && g[1] === 0xdb8) return "documentation";
  return null;
}
