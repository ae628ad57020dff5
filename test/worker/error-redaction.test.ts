import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../functions/app.js";

/** A 32-byte key in base64 (44 characters), as `openssl rand -base64 32` prints one. */
const KEY = "Qx9cT3mZ7pL2vN8rK4wY1bH6jF0sD5gA9eU3iO7tR2c=";

async function call(path: string, overrides: Record<string, string>, headers: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  const res = await createApp().fetch(
    new Request(`http://agent-dag.test${path}`, { headers }),
    { ...env, ...overrides },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, text: await res.text() };
}

/** Every 8-character slice of `s`: none may appear where the secret must not. */
const slices = (s: string) => Array.from({ length: s.length - 7 }, (_, i) => s.slice(i, i + 8));

describe("5xx problem details (leak: internal messages and key material stay in the log, redacted)", () => {
  afterEach(() => vi.restoreAllMocks());

  it("leak: a malformed CACHE_ENCRYPTION_KEYS answers an unauthenticated caller a general 500, no key characters in body or log", async () => {
    const logged: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(" "));
    });
    // key and id swapped: the key lands where the id belongs
    const res = await call("/healthz", { CACHE_ENCRYPTION_KEYS: `${KEY}:k1` });
    expect(res.status).toBe(500);
    const body = JSON.parse(res.text) as { detail: string; title: string };
    expect(body).toMatchObject({
      title: "Internal Server Error",
      detail: "the service is misconfigured (see the worker log)",
    });
    for (const s of slices(KEY)) expect(res.text).not.toContain(s);
    expect(logged.join("\n")).toContain("CACHE_ENCRYPTION_KEYS");
    for (const s of slices(KEY)) expect(logged.join("\n")).not.toContain(s);
  });

  it("leak: a storage failure (an UpstashError quoting its whole command) answers 'storage unavailable', the command only in the log", async () => {
    const logged: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(" "));
    });
    const res = await call(
      "/v1/runs/run_0123456789abcdef0123456789",
      { UPSTASH_REDIS_REST_TOKEN: "wrong-token-for-this-test" },
      { authorization: "Bearer dev-key" },
    );
    expect(res.status).toBe(500);
    const body = JSON.parse(res.text) as { detail: string };
    expect(body.detail).toBe("storage unavailable");
    expect(res.text).not.toContain("command was");
    expect(res.text).not.toContain(env.KEY_PREFIX);
    expect(logged.join("\n")).toContain("command was");
    expect(logged.join("\n")).not.toContain("wrong-token-for-this-test");
  });

  it("leak: /healthz with Redis failing tells an unauthenticated caller only that Redis did not answer; the error goes to the log", async () => {
    const logged: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(" "));
    });
    const res = await call("/healthz", { UPSTASH_REDIS_REST_TOKEN: "wrong-token-for-this-test" });
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text)).toMatchObject({ ok: false, redis: { ok: false, error: "Redis did not answer" } });
    expect(res.text).not.toContain("command was");
    expect(logged.join("\n")).toContain("healthz: Redis ping failed");
    expect(logged.join("\n")).not.toContain("wrong-token-for-this-test");
  });
});
