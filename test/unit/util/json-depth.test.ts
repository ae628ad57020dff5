import { describe, expect, it } from "vitest";
import { ProblemError } from "../../../shared/errors/problem.js";
import { assertJsonDepth, MAX_JSON_DEPTH, pathDeeperThan } from "../../../shared/util/json-depth.js";

/** `levels` nested arrays (the outermost is level 1) around `inner`. */
function nested(levels: number, inner = "1"): unknown {
  return JSON.parse("[".repeat(levels) + inner + "]".repeat(levels));
}

describe("JSON depth limit (DoS)", () => {
  it("a 400,000-level array (which JSON.stringify cannot serialise) is found too deep without overflowing", () => {
    const deep = nested(400_000);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    const path = pathDeeperThan({ input: deep });
    // the body is level 1, its outermost array level 2: the first container past the limit is 63 arrays into it
    expect(path).toEqual(["input", ...Array.from({ length: MAX_JSON_DEPTH - 1 }, () => 0)]);
  });

  it("exactly the limit passes; one level more is refused, naming the first such path in document order", () => {
    expect(pathDeeperThan(nested(MAX_JSON_DEPTH))).toBeNull();
    expect(pathDeeperThan(nested(MAX_JSON_DEPTH + 1))).toHaveLength(MAX_JSON_DEPTH);
    const body = { a: { ok: 1 }, "b/c": [{}, { d: nested(3) }] };
    expect(pathDeeperThan(body, 4)).toEqual(["b/c", 1, "d", 0]);
    expect(pathDeeperThan(body, 6)).toBeNull();
    expect(pathDeeperThan("text")).toBeNull();
  });

  it("assertJsonDepth answers 422 invalid-request with the JSON Pointer of the field", () => {
    let thrown: unknown;
    try {
      assertJsonDepth({ "b/c": nested(5) });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeUndefined();
    try {
      assertJsonDepth({ input: { "a/b": nested(MAX_JSON_DEPTH) } });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ProblemError);
    const p = (thrown as ProblemError).problem;
    expect(p.status).toBe(422);
    expect(p.errors?.[0]?.pointer).toBe(`/input/a~1b${"/0".repeat(MAX_JSON_DEPTH - 2)}`);
  });
});
