import { describe, expect, it } from "vitest";
import { templateRefs } from "../../../shared/dag/template.js";
import { validateWorkflow } from "../../../shared/dag/validate.js";
import {
  evaluateWaitCondition,
  type ParsedCondition,
  parseWaitCondition,
  waitNodeReads,
} from "../../../shared/dag/wait-condition.js";
import type { WaitCondition } from "../../../shared/schema/node-kinds.js";
import type { WorkflowNode } from "../../../shared/schema/workflow.js";

function parsed(when: WaitCondition): ParsedCondition {
  const r = parseWaitCondition(when);
  if (!r.ok) throw new Error(r.reason);
  return r.condition;
}

const ask = (when: WaitCondition, outputs: Record<string, string>, input: unknown = {}) =>
  evaluateWaitCondition(parsed(when), { input, outputs }).ask;

describe("parseWaitCondition", () => {
  it("takes one reference, with spaces around it, and an any form's field path", () => {
    expect(parsed(" {{nodes.check.output.risky}} ").ref).toMatchObject({ kind: "node", id: "check", path: ["risky"] });
    expect(parsed({ any: "{{nodes.review.output}}", field: "risk.levels[1]" })).toMatchObject({
      ref: { kind: "node", id: "review" },
      field: ["risk", "levels", "1"],
    });
    expect(parsed("{{input.flags.deploy}}").ref).toMatchObject({ kind: "input", path: ["flags", "deploy"] });
  });

  it("refuses text around the reference, two references, none, or a malformed one", () => {
    for (const when of ["yes {{input.x}}", "{{input.x}}{{input.y}}", "true", "{{nodes.a.outputs}}"]) {
      const r = parseWaitCondition(when);
      expect(r.ok, when).toBe(false);
    }
  });
});

describe("evaluateWaitCondition", () => {
  const reviews = (...flags: unknown[]) =>
    JSON.stringify(flags.map((f, i) => ({ path: `f${i}.ts`, ...(f === undefined ? {} : { securityIssue: f }) })));
  const any = { any: "{{nodes.review.output}}", field: "securityIssue" };

  it("asks when any element has the field true, not when every one has it false", () => {
    expect(ask(any, { review: reviews(false, true, false) })).toBe(true);
    expect(ask(any, { review: reviews(false, false) })).toBe(false);
    expect(evaluateWaitCondition(parsed(any), { input: {}, outputs: { review: reviews(false, true) } }).reason).toBe(
      "element 1 of {{nodes.review.output}} has securityIssue true",
    );
  });

  it("does not ask for an empty array", () => {
    expect(ask(any, { review: "[]" })).toBe(false);
  });

  it("asks when a value cannot be read: a missing or non-boolean field, not an array, not JSON", () => {
    expect(ask(any, { review: reviews(false, undefined) })).toBe(true);
    expect(ask(any, { review: reviews(false, "no") })).toBe(true);
    expect(ask(any, { review: JSON.stringify({ securityIssue: false }) })).toBe(true);
    expect(ask(any, { review: "[FAILED: timeout]" })).toBe(true);
  });

  it("a single reference asks when true, not when false, and asks for anything else", () => {
    const when = "{{nodes.check.output.risky}}";
    expect(ask(when, { check: '{"risky":true}' })).toBe(true);
    expect(ask(when, { check: '{"risky":false}' })).toBe(false);
    expect(ask(when, { check: '{"risky":"false"}' })).toBe(true);
    expect(ask(when, { check: "{}" })).toBe(true);
    expect(ask("{{input.deploy}}", {}, { deploy: false })).toBe(false);
    expect(ask("{{input.deploy}}", {}, {})).toBe(true);
  });
});

describe("waitNodeReads", () => {
  const node = (when: WaitCondition | undefined): WorkflowNode =>
    ({
      id: "approve",
      kind: "wait",
      prompt: "Ship {{input.repo}}?",
      wait: { timeout: "1h", onTimeout: "fail", ...(when === undefined ? {} : { when }) },
    }) as WorkflowNode;

  it("adds the condition's node (as a field read when it has a path) or input path to the prompt's reads", () => {
    const prompt = templateRefs("Ship {{input.repo}}?");
    expect(waitNodeReads(node({ any: "{{nodes.review.output}}", field: "x" }), prompt)).toMatchObject({
      inputs: ["repo"],
      nodes: ["review"],
      fields: [],
      whole: [],
    });
    expect(waitNodeReads(node("{{nodes.check.output.risky}}"), prompt)).toMatchObject({
      nodes: ["check"],
      fields: ["check"],
    });
    expect(waitNodeReads(node("{{input.deploy}}"), prompt).inputs).toEqual(["repo", "deploy"]);
    expect(waitNodeReads(node(undefined), prompt)).toBe(prompt);
  });
});

describe("validateWorkflow: wait.when", () => {
  const wf = (when: unknown, extra: Record<string, unknown> = {}) => ({
    name: "gate",
    agents: { a: {} },
    nodes: [
      {
        id: "review",
        agent: "a",
        prompt: "Review.",
        output: { schema: { type: "array", items: { type: "object" } } },
      },
      { id: "text", agent: "a", prompt: "Say something." },
      {
        id: "approve",
        kind: "wait",
        agent: "a",
        dependsOn: ["review"],
        prompt: "Ship it?",
        wait: { timeout: "1h", when },
        ...extra,
      },
    ],
  });

  it("accepts both forms on an ancestor with JSON output, and an input reference", () => {
    expect(validateWorkflow(wf({ any: "{{nodes.review.output}}", field: "securityIssue" })).ok).toBe(true);
    expect(validateWorkflow(wf("{{nodes.review.output[0].securityIssue}}")).ok).toBe(true);
    expect(validateWorkflow(wf("{{input.risky}}")).ok).toBe(true);
  });

  const errorOf = (when: unknown) => {
    const r = validateWorkflow(wf(when), "/workflow");
    if (r.ok) throw new Error("expected a refusal");
    return r.problem.errors?.[0];
  };

  it("refuses a non-ancestor, a missing node, itself, and a field of a text output, naming the pointer and node", () => {
    expect(errorOf("{{nodes.text.output}}")).toMatchObject({ pointer: "/workflow/nodes/2/wait/when", node: "approve" });
    expect(errorOf("{{nodes.text.output}}")?.detail).toContain('"text" is not an ancestor of "approve"');
    expect(errorOf({ any: "{{nodes.nope.output}}", field: "x" })).toMatchObject({
      pointer: "/workflow/nodes/2/wait/when/any",
    });
    expect(errorOf({ any: "{{nodes.nope.output}}", field: "x" })?.detail).toContain('there is no node "nope"');
    expect(errorOf("{{nodes.approve.output.approved}}")?.detail).toContain("reads its own output");
    const r = validateWorkflow(wf("{{nodes.text.output.flag}}", { dependsOn: ["review", "text"] }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem.errors?.[0]?.detail).toContain('"text" has no output schema');
  });

  it("refuses text that is not one reference, a bad field path and unknown keys", () => {
    expect(errorOf("{{input.a}} and {{input.b}}")?.detail).toContain("must be exactly one reference");
    expect(errorOf({ any: "{{nodes.review.output}}", field: ".bad" })?.pointer).toBe(
      "/workflow/nodes/2/wait/when/field",
    );
    expect(errorOf({ any: "{{nodes.review.output}}", field: "x", all: true })?.pointer).toMatch(
      /^\/workflow\/nodes\/2\/wait\/when/,
    );
  });
});
