import { describe, expect, it } from "vitest";
import { FaultAttribution, runIdsIn } from "../../../local/chaos/fault-attribution.js";

const A = "run_0123456789abcdef0123456789";
const B = "run_fedcba9876543210fedcba9876";

describe("fault attribution", () => {
  it("finds run ids in Redis commands, execute messages and a callback's base64 sourceBody", () => {
    expect(runIdsIn(JSON.stringify(["HGETALL", `chaos:${A}:meta`, `chaos:${A}:status`]))).toEqual([A]);
    expect(runIdsIn(JSON.stringify({ runId: B, nodeId: "n1" }))).toEqual([B]);
    const sourceBody = Buffer.from(JSON.stringify({ runId: A, nodeId: "n2" })).toString("base64");
    expect(runIdsIn(JSON.stringify({ status: 200, sourceBody, body: "" }))).toEqual([A]);
    expect(runIdsIn("PING")).toEqual([]);
  });

  it("counts faults per run, and a worker kill on every run in flight", () => {
    const f = new FaultAttribution();
    f.record(
      "redisApplied5xx",
      JSON.stringify([
        ["GET", `x:${A}`],
        ["GET", `x:${B}`],
      ]),
    );
    f.record("redisApplied5xx", `x:${A}`);
    f.recordAll("workerKill", [B]);
    expect(f.of(A)).toEqual({ redisApplied5xx: 2 });
    expect(f.of(B)).toEqual({ redisApplied5xx: 1, workerKill: 1 });
    expect(f.of("run_other")).toEqual({});
  });
});

it("attributes a fault to the node an execute message, a callback or a batch publish is about", () => {
  const f = new FaultAttribution();
  f.record("lostAnswer", JSON.stringify({ runId: A, nodeId: "n1" }));
  const sourceBody = Buffer.from(JSON.stringify({ runId: A, nodeId: "n1" })).toString("base64");
  f.record("duplicate", JSON.stringify({ status: 200, sourceBody }));
  f.record("publishRefused", JSON.stringify([{ destination: "x", body: JSON.stringify({ runId: B, nodeId: "n7" }) }]));
  f.record("redisDelay", JSON.stringify(["GET", `x:${A}:n1`]));
  expect(f.nodesOf(A)).toEqual({ n1: { lostAnswer: 1, duplicate: 1 } });
  expect(f.nodesOf(B)).toEqual({ n7: { publishRefused: 1 } });
  expect(f.of(A)).toEqual({ lostAnswer: 1, duplicate: 1, redisDelay: 1 });
});
