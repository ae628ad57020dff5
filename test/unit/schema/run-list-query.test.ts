import { describe, expect, it } from "vitest";
import { runListQuerySchema } from "../../../shared/schema/run-list-query.js";

/** The `GET /v1/runs` query as Hono hands it over (`c.req.queries()`: every parameter a list). */
describe("runListQuerySchema", () => {
  it("accepts every status a listed run can have, cancelled included", () => {
    const q = runListQuerySchema.parse({ status: ["running,completed", "failed", "cancelled"] });
    expect(q.status).toEqual(["running", "completed", "failed", "cancelled"]);
  });

  it("refuses a status no run has, naming its position", () => {
    const r = runListQuerySchema.safeParse({ status: ["cancelled", "paused"] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(["status", 1]);
  });
});
