import { describe, expect, it } from "vitest";
import { parseTemplate, renderTemplate, TemplateError, templateRefs } from "../../../shared/dag/template.js";

describe("templateRefs", () => {
  it.each([
    ["no expressions", "plain text", [], []],
    ["input paths", "Analyse {{input.repo}}\n{{ input.files.0.name }}", ["repo", "files.0.name"], []],
    [
      "node ids with dots and dashes",
      "{{nodes.codebase-analyzer.output}} {{nodes.NFCORE.X.MULTIQC.output}}",
      [],
      ["codebase-analyzer", "NFCORE.X.MULTIQC"],
    ],
    ["whitespace and newlines inside braces", "{{\n  nodes.a.output\t}}", [], ["a"]],
    [
      "deduplicates in first-appearance order",
      "{{nodes.b.output}}{{input.x}}{{nodes.a.output}}{{nodes.b.output}}{{input.x}}",
      ["x"],
      ["b", "a"],
    ],
    ["other braces are text", "{{foo}} {{ inputs.x }} {not}", [], []],
    ["id ending in .output", "{{nodes.a.output.output}}", [], ["a.output"]],
  ])("%s", (_name, prompt, inputs, nodes) => {
    const refs = templateRefs(prompt);
    expect(refs.inputs).toEqual(inputs);
    expect(refs.nodes).toEqual(nodes);
    expect(refs.invalid).toEqual([]);
  });

  it.each([
    "{{input}}",
    "{{input.}}",
    "{{input.a..b}}",
    "{{input.a b}}",
    "{{nodes.a}}",
    "{{nodes.a.outputs}}",
    "{{nodes..output}}",
    "{{ nodes.-a.output }}",
  ])("flags %s as invalid", (prompt) => {
    const refs = templateRefs(prompt);
    expect(refs.invalid).toHaveLength(1);
    expect(refs.invalid[0]!.raw).toBe(prompt);
    expect(refs.nodes).toEqual([]);
    expect(refs.inputs).toEqual([]);
  });
});

describe("parseTemplate", () => {
  it("splits text and expressions and merges adjacent text", () => {
    expect(parseTemplate("a {{x}} b {{input.y}}!")).toEqual([
      { kind: "text", text: "a {{x}} b " },
      { kind: "input", raw: "{{input.y}}", path: ["y"] },
      { kind: "text", text: "!" },
    ]);
  });
});

describe("renderTemplate", () => {
  const ctx = {
    input: { repo: "acme/api", n: 3, ok: false, nil: null, files: [{ name: "a.ts" }, "b.ts"], meta: { tags: ["x"] } },
    outputs: { "an.alyzer": "ANALYSIS", empty: "" },
  };

  it.each([
    ["string", "Repo: {{input.repo}}", "Repo: acme/api"],
    ["number and boolean", "{{input.n}}/{{input.ok}}", "3/false"],
    ["null", "[{{input.nil}}]", "[null]"],
    ["object as JSON", "{{input.meta}}", '{"tags":["x"]}'],
    ["array as JSON", "{{input.files}}", '[{"name":"a.ts"},"b.ts"]'],
    ["array index", "{{input.files.0.name}} {{input.files.1}}", "a.ts b.ts"],
    ["missing path is empty", "<{{input.nope}}><{{input.repo.deeper}}><{{input.files.9}}>", "<><><>"],
    [
      "prototype keys are missing, not inherited",
      "<{{input.constructor}}><{{input.repo.length}}><{{input.__proto__}}>",
      "<><><>",
    ],
    ["node output", "Given:\n{{ nodes.an.alyzer.output }}", "Given:\nANALYSIS"],
    ["empty node output", "<{{nodes.empty.output}}>", "<>"],
    ["other braces untouched", "{{foo}} and {{{input.n}}}", "{{foo}} and {3}"],
    ["no placeholders", "hello", "hello"],
  ])("%s", (_name, template, expected) => {
    expect(renderTemplate(template, ctx)).toBe(expected);
  });

  it("renders a non-object input's paths as empty", () => {
    expect(renderTemplate("<{{input.a}}>", { input: "scalar", outputs: {} })).toBe("<>");
    expect(renderTemplate("<{{input.a}}>", { input: undefined, outputs: {} })).toBe("<>");
  });

  it("throws TemplateError for an unknown node", () => {
    let caught: unknown;
    try {
      renderTemplate("{{nodes.ghost.output}}", ctx);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TemplateError);
    expect(caught).toMatchObject({ name: "TemplateError", code: "unknown-node", expression: "{{nodes.ghost.output}}" });
    expect((caught as Error).message).toContain("ghost");
  });

  it("does not treat inherited keys of outputs as node outputs", () => {
    expect(() => renderTemplate("{{nodes.constructor.output}}", ctx)).toThrow(TemplateError);
  });

  it("throws TemplateError for a malformed reference", () => {
    expect(() => renderTemplate("{{nodes.a.outptu}}", ctx)).toThrow(/invalid node reference/);
  });
});
