import { describe, expect, it } from "vitest";
import { cacheInvalidationQuerySchema, cacheStatsQuerySchema } from "../../../shared/cache/query-schemas.js";

describe("DELETE /v1/cache query", () => {
  it.each([
    [{ workflow: "review-all" }, { workflow: "review-all" }],
    [
      { workflow: "review-all", node: "codebase-analyzer" },
      { workflow: "review-all", node: "codebase-analyzer" },
    ],
    [{ tag: "nightly" }, { tag: "nightly" }],
    [{ all: "true" }, { all: true }],
  ])("accepts %j", (query, selector) => {
    expect(cacheInvalidationQuerySchema.parse(query)).toEqual(selector);
  });

  it.each([
    ["no selector", {}, []],
    ["node without workflow", { node: "a" }, ["node"]],
    ["node with a tag but no workflow", { node: "a", tag: "t" }, ["node"]],
    ["workflow and tag", { workflow: "wf", tag: "t" }, ["tag"]],
    ["tag and all", { tag: "t", all: "true" }, ["all"]],
    ["all=false", { all: "false" }, ["all"]],
    ["a bad workflow name", { workflow: "Bad Name" }, ["workflow"]],
    ["a bad tag", { tag: "a b" }, ["tag"]],
    ["an unknown parameter", { workflow: "wf", everything: "1" }, []],
  ])("rejects %s, at the parameter concerned", (_name, query, path) => {
    const r = cacheInvalidationQuerySchema.safeParse(query);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(path);
  });
});

describe("GET /v1/cache/stats query", () => {
  it("takes an optional workflow name", () => {
    expect(cacheStatsQuerySchema.parse({})).toEqual({});
    expect(cacheStatsQuerySchema.parse({ workflow: "review-all" })).toEqual({ workflow: "review-all" });
    expect(cacheStatsQuerySchema.safeParse({ workflow: "x:y" }).success).toBe(false);
  });
});
