import { describe, expect, it } from "vitest";
import { type Env, parseApiKeys, parseConfig } from "../../../functions/env.js";
import { MINIMAL_ENV } from "../../support/env-fixture.js";

const base: Env = MINIMAL_ENV;

describe("worker config", () => {
  it("maps API keys to tenants; a bare key belongs to 'default'", () => {
    expect([...parseApiKeys("acme:k1, beta:k2,plain")]).toEqual([
      ["k1", "acme"],
      ["k2", "beta"],
      ["plain", "default"],
    ]);
  });

  it("fills defaults", () => {
    const c = parseConfig(base);
    expect(c.keyPrefix).toBe("ad");
    expect(c.retentionSeconds).toBe(604_800);
    expect(c.cronWorkflows).toEqual([]);
    expect(c.publicUrl).toBeUndefined();
    expect(c.maxNodes).toBe(1000);
  });

  it("takes MAX_WORKFLOW_NODES up to the schema's ceiling of 5,000, and names it when out of range", () => {
    expect(parseConfig({ ...base, MAX_WORKFLOW_NODES: "2000" }).maxNodes).toBe(2000);
    expect(parseConfig({ ...base, MAX_WORKFLOW_NODES: "5000" }).maxNodes).toBe(5000);
    expect(() => parseConfig({ ...base, MAX_WORKFLOW_NODES: "5001" })).toThrow(/MAX_WORKFLOW_NODES/);
    expect(() => parseConfig({ ...base, MAX_WORKFLOW_NODES: "0" })).toThrow(/MAX_WORKFLOW_NODES/);
  });

  it("takes the sweeper's grace period (s -> ms) and batch, defaults 120 s and 10, and names them when out of range", () => {
    expect(parseConfig(base).sweeper).toEqual({ graceMs: 120_000, batch: 10 });
    expect(parseConfig({ ...base, SWEEPER_GRACE_SECONDS: "5", SWEEPER_BATCH: "50" }).sweeper).toEqual({
      graceMs: 5_000,
      batch: 50,
    });
    expect(() => parseConfig({ ...base, SWEEPER_GRACE_SECONDS: "0" })).toThrow(/SWEEPER_GRACE_SECONDS/);
    expect(() => parseConfig({ ...base, SWEEPER_BATCH: "101" })).toThrow(/SWEEPER_BATCH/);
  });

  it("parses CRON_WORKFLOWS and strips a trailing slash from PUBLIC_URL", () => {
    const c = parseConfig({
      ...base,
      CRON_WORKFLOWS: '[{"cron":"0 6 * * *","workflow":"review-all"}]',
      PUBLIC_URL: "https://x.example/",
    });
    expect(c.cronWorkflows).toEqual([{ cron: "0 6 * * *", workflow: "review-all" }]);
    expect(c.publicUrl).toBe("https://x.example");
  });

  it("names every missing or invalid variable", () => {
    expect(() => parseConfig({ ...base, QSTASH_TOKEN: "", UPSTASH_REDIS_REST_URL: "nope" } as Env)).toThrow(
      /UPSTASH_REDIS_REST_URL.*QSTASH_TOKEN|QSTASH_TOKEN.*UPSTASH_REDIS_REST_URL/,
    );
    expect(() => parseConfig({ ...base, CRON_WORKFLOWS: "not json" })).toThrow(/CRON_WORKFLOWS/);
  });
});
