import { describe, expect, it } from "vitest";
import { REDACTED, redactSecrets, secretValuesOf } from "../../../shared/errors/redact.js";
import { describeForLog } from "../../../shared/errors/server-error.js";

const KEY = "Qx9cT3mZ7pL2vN8rK4wY1bH6jF0sD5gA9eU3iO7tR2c=";

describe("log redaction (leak: secrets never reach the worker log)", () => {
  it("leak: removes known secret values, each keyring key on its own, credentials and key-like runs", () => {
    const env = {
      CACHE_ENCRYPTION_KEYS: `k2:${KEY},k1:${"A".repeat(43)}=`,
      UPSTASH_REDIS_REST_TOKEN: "short-token-xyz",
      KEY_PREFIX: "not-a-secret-but-named-key",
      PUBLIC_URL: "http://agent-dag.test",
    };
    const secrets = secretValuesOf(env);
    expect(secrets).toContain(KEY);
    expect(secrets).toContain("short-token-xyz");
    expect(secrets).not.toContain("http://agent-dag.test");
    const text = [
      `UpstashError: ERR wrong, command was: ["set","p:blob:ab12","enc:k2:${KEY}"]`,
      "fetch failed: Authorization: Bearer abc.def.ghi",
      "url ?_token=short-token-xyz&x=1",
      "random AbCdEfGhIjKlMnOpQrStUv12 in a message",
      `ref ${"0123456789abcdef".repeat(4)} of run_0123456789abcdef0123456789 at shared/engine/execute-node.ts:12`,
    ].join("\n");
    const out = redactSecrets(text, secrets);
    expect(out).not.toContain(KEY.slice(0, 20));
    expect(out).not.toContain("short-token-xyz");
    expect(out).not.toContain("abc.def.ghi");
    expect(out).not.toContain("AbCdEfGhIjKlMnOpQrStUv12");
    // what helps debugging stays: refs, run ids, source paths, the error's words
    expect(out).toContain("0123456789abcdef".repeat(4));
    expect(out).toContain("run_0123456789abcdef0123456789");
    expect(out).toContain("shared/engine/execute-node.ts");
    expect(out).toContain("command was");
    expect(out).toContain(REDACTED);
  });

  it("leak: describes an error with its causes, redacted", () => {
    const err = new Error("outer", { cause: new Error(`inner with ${KEY}`) });
    const line = describeForLog(err);
    expect(line).toContain("outer");
    expect(line).toContain("caused by: Error: inner with");
    expect(line).not.toContain(KEY.slice(0, 20));
  });
});
