import { describe, expect, it } from "vitest";
import { checkHttpNodeUrl, type HttpNodePolicy, parseAllowedHosts } from "../../../shared/http/ssrf-guard.js";

const prod = (hosts: string): HttpNodePolicy => ({ environment: "production", allowedHosts: parseAllowedHosts(hosts) });
const dev = (hosts: string): HttpNodePolicy => ({ environment: "development", allowedHosts: parseAllowedHosts(hosts) });

const ALLOW = "api.example.com, *.flowise.example, flowise.example:8443, 127.0.0.1:9911, localhost:9912";

describe("checkHttpNodeUrl", () => {
  it.each([
    ["https://api.example.com/v1/x?q=1", prod(ALLOW)],
    ["https://eu.flowise.example/api/v1/prediction/abc", prod(ALLOW)],
    ["https://a.b.flowise.example/", prod(ALLOW)],
    ["https://flowise.example:8443/api", prod(ALLOW)],
    ["https://API.EXAMPLE.COM/upper", prod(ALLOW)],
    ["http://api.example.com/plain-http-in-dev", dev(ALLOW)],
    // loopback named explicitly by the allowlist, in development only
    ["http://127.0.0.1:9911/api/v1/prediction/x", dev(ALLOW)],
    ["http://localhost:9912/", dev(ALLOW)],
  ])("allows %s", (url, policy) => {
    const v = checkHttpNodeUrl(url, policy);
    expect(v.ok, v.ok ? "" : v.reason).toBe(true);
  });

  it.each([
    // scheme, user info, parse
    ["http://api.example.com/", prod(ALLOW), "scheme http"],
    ["ftp://api.example.com/", dev(ALLOW), "scheme ftp"],
    ["file:///etc/passwd", dev(ALLOW), "scheme file"],
    ["https://user:pw@api.example.com/", prod(ALLOW), "user info"],
    ["not a url", prod(ALLOW), "does not parse"],
    // allowlist
    ["https://evil.example.net/", prod(ALLOW), "not in HTTP_NODE_ALLOWED_HOSTS"],
    ["https://flowise.example/", prod(ALLOW), "not in HTTP_NODE_ALLOWED_HOSTS"],
    ["https://api.example.com:8443/", prod(ALLOW), "not in HTTP_NODE_ALLOWED_HOSTS"],
    ["https://api.example.com.evil.net/", prod(ALLOW), "not in HTTP_NODE_ALLOWED_HOSTS"],
    ["https://api.example.com/", prod(""), "HTTP_NODE_ALLOWED_HOSTS is empty"],
    // literal private, loopback, link-local, CGNAT, unspecified, metadata addresses
    ["http://10.0.0.5/", dev("10.0.0.5"), "private"],
    ["https://172.16.3.4/", prod("172.16.3.4"), "private"],
    ["https://192.168.1.1/", prod("192.168.1.1"), "private"],
    ["http://169.254.169.254/latest/meta-data/", dev("169.254.169.254"), "link-local"],
    ["https://100.64.0.1/", prod("100.64.0.1"), "CGNAT"],
    ["https://0.0.0.0/", prod("0.0.0.0"), "unspecified"],
    ["https://127.0.0.1/", prod("127.0.0.1"), "loopback"],
    ["https://224.0.0.1/", prod("224.0.0.1"), "multicast"],
    // other spellings of 127.0.0.1 and 169.254.169.254
    ["https://2130706433/", prod("127.0.0.1"), "loopback"],
    ["https://0x7f000001/", prod("127.0.0.1"), "loopback"],
    ["https://0177.0.0.1/", prod("127.0.0.1"), "loopback"],
    ["https://127.1/", prod("127.0.0.1"), "loopback"],
    ["https://0xa9.0xfe.0xa9.0xfe/", prod("169.254.169.254"), "link-local"],
    ["https://2852039166/", prod("169.254.169.254"), "link-local"],
    // IPv6
    ["https://[::1]/", prod("[::1]"), "loopback"],
    ["https://[::]/", prod("[::]"), "unspecified"],
    ["https://[fe80::1]/", prod("[fe80::1]"), "link-local"],
    ["https://[fd00:ec2::254]/", prod("[fd00:ec2::254]"), "unique-local"],
    ["https://[::ffff:127.0.0.1]/", prod("[::ffff:7f00:1]"), "loopback"],
    ["https://[::ffff:169.254.169.254]/", prod("[::ffff:a9fe:a9fe]"), "link-local"],
    ["https://[::ffff:10.1.2.3]/", prod(""), "private"],
    ["https://[64:ff9b::10.0.0.1]/", prod(""), "private"],
    ["https://[2002:a00:1::]/", prod(""), "private"],
    // localhost-style names
    ["https://localhost/", prod("localhost"), "loopback"],
    ["https://app.localhost/", prod("app.localhost"), "loopback"],
    ["https://printer.local/", prod("printer.local"), "local name"],
    ["https://metadata.google.internal/", prod("metadata.google.internal"), "local name"],
    ["https://intranet/", prod("intranet"), "local name"],
    // loopback in development is allowed only when the allowlist names it, not by wildcard or another port
    ["http://127.0.0.1:9999/", dev(ALLOW), "loopback"],
    ["http://localhost/", dev("*.localhost, localhost:1"), "loopback"],
    ["http://10.0.0.5/", dev("10.0.0.5"), "private"],
  ])("refuses %s", (url, policy, reason) => {
    const v = checkHttpNodeUrl(url, policy);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toContain(reason);
  });

  it("refuses the worker's own origin even when the allowlist covers it: QStash would sign the call", () => {
    const own = { ...prod("*.example.com, agents.example.com:8443"), ownOrigins: ["https://agents.example.com"] };
    for (const url of [
      "https://agents.example.com/internal/failure",
      "https://AGENTS.example.com:443/%69nternal/callback",
    ]) {
      const v = checkHttpNodeUrl(url, own);
      expect(v.ok).toBe(false);
      if (!v.ok) expect(v.reason).toContain("is this worker");
    }
    // another host of the same wildcard, and the same host on another port, are other services
    expect(checkHttpNodeUrl("https://flowise.example.com/api", own).ok).toBe(true);
    expect(checkHttpNodeUrl("https://agents.example.com:8443/api", own).ok).toBe(true);
    // in development the worker and a local fake share 127.0.0.1 on different ports
    const local = { ...dev("127.0.0.1:9911, 127.0.0.1:8787"), ownOrigins: ["http://127.0.0.1:8787"] };
    expect(checkHttpNodeUrl("http://127.0.0.1:9911/api", local).ok).toBe(true);
    expect(checkHttpNodeUrl("http://127.0.0.1:8787/internal/callback", local).ok).toBe(false);
  });

  it("never echoes the URL's query (a templated query may carry data)", () => {
    const v = checkHttpNodeUrl("https://evil.example.net/x?token=s3cr3t", prod(ALLOW));
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).not.toContain("s3cr3t");
  });
});

describe("parseAllowedHosts", () => {
  it("lower-cases, trims and drops blanks", () => {
    expect(parseAllowedHosts(" API.example.com , ,*.x.io:8443,[::1]:80")).toEqual([
      "api.example.com",
      "*.x.io:8443",
      "[::1]:80",
    ]);
    expect(parseAllowedHosts(undefined)).toEqual([]);
  });

  it.each(["https://x.io", "x.io/path", "*x.io", "x.io:port"])("refuses the entry %s", (entry) => {
    expect(() => parseAllowedHosts(entry)).toThrow(entry);
  });
});
