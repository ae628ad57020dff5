import { describe, expect, it } from "vitest";
import { z } from "zod";
import { escapePointerToken, pointer } from "../../../shared/errors/json-pointer.js";
import {
  dispatchUnavailable,
  idempotencyConflict,
  invalidRequest,
  invalidWorkflow,
  malformedJson,
  notFound,
  PROBLEM_CONTENT_TYPE,
  ProblemError,
  payloadTooLarge,
  problemResponse,
  unauthorized,
} from "../../../shared/errors/problem.js";
import { zodIssuesToFieldErrors } from "../../../shared/errors/zod-issues.js";

describe("problem factories", () => {
  it.each([
    [invalidWorkflow("x"), 422, "invalid-workflow"],
    [invalidRequest("x"), 422, "invalid-request"],
    [payloadTooLarge(1_048_576), 413, "payload-too-large"],
    [unauthorized(), 401, "unauthorized"],
    [notFound("x"), 404, "not-found"],
    [idempotencyConflict("x"), 409, "idempotency-conflict"],
    [dispatchUnavailable("x"), 503, "dispatch-unavailable"],
    [malformedJson(), 400, "malformed-json"],
  ])("%# -> %i %s", (p, status, slug) => {
    expect(p.status).toBe(status);
    expect(p.type).toBe(`https://agent-dag.dev/problems/${slug}`);
    expect(p.title.length).toBeGreaterThan(0);
    expect(p.detail.length).toBeGreaterThan(0);
  });

  it("keeps instance and non-empty errors, drops empty errors", () => {
    const p = invalidWorkflow("bad", {
      instance: "/v1/runs",
      errors: [{ pointer: "/nodes/0/id", node: "a", detail: "d" }],
    });
    expect(p).toEqual({
      type: "https://agent-dag.dev/problems/invalid-workflow",
      title: "Invalid workflow",
      status: 422,
      detail: "bad",
      instance: "/v1/runs",
      errors: [{ pointer: "/nodes/0/id", node: "a", detail: "d" }],
    });
    expect("errors" in notFound("x", { errors: [] })).toBe(false);
  });

  it("payloadTooLarge names the limit", () => {
    expect(payloadTooLarge(1_048_576).detail).toContain("1048576");
  });
});

describe("ProblemError", () => {
  it("carries the problem, its status and a name", () => {
    const cause = new Error("boom");
    const err = new ProblemError(notFound("run r1 not found"), { cause });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe("ProblemError");
    expect(err.message).toBe("run r1 not found");
    expect(err.status).toBe(404);
    expect(err.problem.type).toBe("https://agent-dag.dev/problems/not-found");
    expect(err.cause).toBe(cause);
  });
});

describe("problemResponse", () => {
  it("serialises as application/problem+json with the problem's status", async () => {
    const res = problemResponse(unauthorized(), { "www-authenticate": "Bearer" });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
    expect(res.headers.get("www-authenticate")).toBe("Bearer");
    expect(await res.json()).toEqual(unauthorized());
  });

  it("overrides a caller's content type", () => {
    const res = problemResponse(notFound("x"), { "content-type": "text/plain" });
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });
});

describe("JSON pointers (RFC 6901)", () => {
  it("escapes ~ and /", () => {
    expect(escapePointerToken("a/b~c")).toBe("a~1b~0c");
    expect(pointer(["nodes", 3, "dependsOn", 0], "/workflow")).toBe("/workflow/nodes/3/dependsOn/0");
    expect(pointer([])).toBe("");
    expect(pointer(["a/b"])).toBe("/a~1b");
  });
});

describe("zodIssuesToFieldErrors", () => {
  const schema = z.strictObject({ a: z.array(z.number()), b: z.string() });

  it("prefixes the base pointer and splits unknown keys", () => {
    const r = schema.safeParse({ a: [1, "x"], b: 2, extra: 1, "we/ird": 2 });
    expect(r.success).toBe(false);
    const errors = zodIssuesToFieldErrors(r.error!, "/workflow");
    expect(errors.map((e) => e.pointer).sort()).toEqual(
      ["/workflow/a/1", "/workflow/b", "/workflow/extra", "/workflow/we~1ird"].sort(),
    );
    expect(errors.find((e) => e.pointer === "/workflow/extra")?.detail).toContain("extra");
  });

  it("adds the node named by nodeOf", () => {
    const r = schema.safeParse({ a: [], b: 1 });
    const errors = zodIssuesToFieldErrors(r.error!, "", (path) => (path[0] === "b" ? "node-b" : undefined));
    expect(errors).toEqual([{ pointer: "/b", node: "node-b", detail: expect.any(String) }]);
  });
});
