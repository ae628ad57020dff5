import { MockLanguageModelV4 } from "ai/test";
import { describe, expect, it } from "vitest";
import { type CacheKeyInput, cacheKeyMaterial, computeCacheKey } from "../../../shared/cache/key-material.js";
import { renderedSize } from "../../../shared/dag/prompt-size.js";
import { renderTemplate, type TemplateContext, templateRefs } from "../../../shared/dag/template.js";
import { validateWorkflow } from "../../../shared/dag/validate.js";
import { generateWithAiSdk } from "../../../shared/providers/ai-sdk-generate.js";
import type { GenerateRequest, GenerateResult, LlmProvider } from "../../../shared/providers/provider.js";
import { isSimulatedText, SIMULATED_BANNER, SimulatedProvider } from "../../../shared/providers/simulated.js";
import { simulatedObject } from "../../../shared/providers/simulated-object.js";
import {
  generateStructured,
  outputChecker,
  PaidCallsError,
  StructuredOutputError,
} from "../../../shared/providers/structured-output.js";
import type { OutputJsonSchema } from "../../../shared/schema/output-schema.js";
import { workflowNodeSchema } from "../../../shared/schema/workflow.js";

const PLAN_SCHEMA: OutputJsonSchema = {
  type: "object",
  required: ["files"],
  additionalProperties: false,
  properties: {
    files: {
      type: "array",
      minItems: 1,
      items: { type: "object", required: ["path"], properties: { path: { type: "string" } } },
    },
  },
};

describe("workflow field output.schema", () => {
  const node = (schema: unknown) => ({ id: "plan", prompt: "p", output: { schema } });

  it("accepts a JSON Schema of the supported subset", () => {
    expect(workflowNodeSchema.safeParse(node(PLAN_SCHEMA)).success).toBe(true);
  });

  it.each([
    ["an unknown type", { type: "strin" }, ["output", "schema", "type"]],
    [
      "properties that are not schemas",
      { type: "object", properties: { a: 5 } },
      ["output", "schema", "properties", "a"],
    ],
    [
      "required that is not an array",
      { type: "object", properties: {}, required: "a" },
      ["output", "schema", "required"],
    ],
    ["a misspelled keyword", { type: "object", propertys: {} }, ["output", "schema"]],
    [
      "required naming no property",
      { type: "object", properties: {}, required: ["x"] },
      ["output", "schema", "required", 0],
    ],
    ["minItems above maxItems", { type: "array", minItems: 3, maxItems: 1 }, ["output", "schema", "maxItems"]],
    ["a nested bad keyword", { type: "array", items: { type: "object", $ref: "#/x" } }, ["output", "schema", "items"]],
  ])("refuses %s, naming the field", (_name, schema, path) => {
    const r = workflowNodeSchema.safeParse(node(schema));
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path)).toContainEqual(path);
  });
});

describe("templates read fields and elements", () => {
  const planJson = JSON.stringify({ files: [{ path: "src/a.ts", lines: 3 }, { path: "src/b.ts" }], meta: null });
  const ctx: TemplateContext = {
    input: { files: [{ name: "x.md" }, { name: "y.md" }], deep: [[1, [2, 3]]] },
    outputs: { plan: planJson, "a.b": '{"v":"dotted"}', text: "plain text", failed: "[FAILED: boom]" },
  };

  it.each([
    ["{{nodes.plan.output.files[0].path}}", "src/a.ts"],
    ["{{ nodes.plan.output.files[1].path }}", "src/b.ts"],
    ["{{nodes.plan.output.files[0].lines}}", "3"],
    ["{{nodes.plan.output.files[0]}}", '{"path":"src/a.ts","lines":3}'],
    ["{{nodes.plan.output.files.1.path}}", "src/b.ts"],
    ["{{nodes.plan.output.files[5].path}}|{{nodes.plan.output.meta}}", "|null"],
    ["{{nodes.a.b.output.v}}", "dotted"],
    ["{{nodes.failed.output.x}}", ""],
    ["{{input.files[1].name}}", "y.md"],
    ["{{input.deep[0][1][0]}}", "2"],
    ["{{nodes.plan.output}}", planJson],
  ])("%s renders %j", (template, expected) => {
    expect(renderTemplate(template, ctx)).toBe(expected);
  });

  it("lists the nodes read with a path as fields", () => {
    const refs = templateRefs("{{nodes.plan.output.files[0].path}} {{nodes.text.output}} {{input.files[0].name}}");
    expect(refs.nodes).toEqual(["plan", "text"]);
    expect(refs.fields).toEqual(["plan"]);
    expect(refs.whole).toEqual(["text"]);
    expect(refs.inputs).toEqual(["files.0.name"]);
    expect(refs.invalid).toEqual([]);
  });

  it.each(["{{nodes.plan.output.files[x]}}", "{{nodes.plan.output.}}", "{{input.files[-1]}}", "{{input.[0]}}"])(
    "%s is an invalid expression",
    (template) => {
      expect(templateRefs(template).invalid).toHaveLength(1);
    },
  );

  it.each(["{{input[0]}}", "{{input[x]}}", "{{input[}}", "{{ input[0].name }}"])(
    "%s is plain text, as before structured outputs: rendered unchanged and accepted by validation",
    (template) => {
      expect(renderTemplate(`a ${template} b`, ctx)).toBe(`a ${template} b`);
      expect(templateRefs(template)).toEqual({ inputs: [], nodes: [], fields: [], whole: [], invalid: [] });
      const wf = { name: "wf", agents: { assistant: {} }, nodes: [{ id: "a", prompt: `read ${template}` }] };
      expect(validateWorkflow(wf).ok).toBe(true);
    },
  );

  it("reads fields from ctx.fields when the output is replaced by a shared-context pointer", () => {
    const shared: TemplateContext = { input: {}, outputs: { plan: "[pointer]" }, fields: { plan: planJson } };
    expect(renderTemplate("{{nodes.plan.output}} {{nodes.plan.output.files[0].path}}", shared)).toBe(
      "[pointer] src/a.ts",
    );
  });

  it.each([
    "{{nodes.plan.output.files[0].path}}",
    "{{nodes.plan.output.files}}".repeat(7),
    "a {{nodes.plan.output.files[1]}} b {{nodes.failed.output.x}} {{input.files[0]}} {{input.deep[0][1]}}",
    "{{nodes.plan.output.files[0].path}}{{nodes.plan.output.files.0.path}}{{nodes.plan.output}}",
  ])("renderedSize of %s equals the rendered length", (template) => {
    expect(renderedSize(template, ctx)).toBe(renderTemplate(template, ctx).length);
  });

  it("validation refuses a field read on a node without an output schema, naming the node and prompt", () => {
    const wf = (output?: unknown) => ({
      name: "wf",
      agents: { assistant: {} },
      nodes: [
        { id: "plan", prompt: "plan it", ...(output ? { output } : {}) },
        { id: "review", dependsOn: ["plan"], prompt: "{{nodes.plan.output.files[0].path}}" },
      ],
    });
    const bad = validateWorkflow(wf());
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(JSON.stringify(bad.problem)).toContain("/nodes/1/prompt");
    expect(validateWorkflow(wf({ schema: PLAN_SCHEMA })).ok).toBe(true);
  });

  it("validation refuses a field read on a node without an output schema in a compensation prompt too", () => {
    const wf = (output?: unknown) => ({
      name: "wf",
      agents: { assistant: {} },
      nodes: [
        { id: "plan", prompt: "plan it", ...(output ? { output } : {}) },
        {
          id: "apply",
          dependsOn: ["plan"],
          prompt: "apply {{nodes.plan.output}}",
          compensate: { prompt: "undo {{nodes.plan.output.files[0].path}} ({{run.status}})" },
        },
      ],
    });
    const bad = validateWorkflow(wf());
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      const errors = (bad.problem as { errors?: { pointer: string; node?: string; detail: string }[] }).errors ?? [];
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ pointer: "/nodes/1/compensate/prompt", node: "apply" });
      expect(errors[0]?.detail).toContain('"plan" has no output schema');
    }
    expect(validateWorkflow(wf({ schema: PLAN_SCHEMA })).ok).toBe(true);
  });
});

describe("cache key includes the output schema", () => {
  const base: CacheKeyInput = {
    tenant: "acme",
    agent: { name: "planner", provider: "simulated" },
    model: "sim-balanced",
    params: { maxOutputTokens: 100 },
    prompt: "plan",
    inputs: {},
    generations: {},
  };

  it("differs by schema and is stable across key order; a text node's material has no schema field", async () => {
    const a = await computeCacheKey({ ...base, outputSchema: PLAN_SCHEMA });
    const b = await computeCacheKey({ ...base, outputSchema: { ...PLAN_SCHEMA, required: [] } });
    const reordered = Object.fromEntries(Object.entries(PLAN_SCHEMA).reverse());
    const plain = await computeCacheKey(base);
    expect(a).not.toBe(b);
    expect(a).not.toBe(plain);
    expect(await computeCacheKey({ ...base, outputSchema: reordered })).toBe(a);
    expect("outputSchema" in cacheKeyMaterial(base)).toBe(false);
  });
});

const request = (schema: OutputJsonSchema, extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
  runId: "r",
  nodeId: "plan",
  agent: "planner",
  system: "",
  prompt: "make a plan",
  model: "sim-balanced",
  maxOutputTokens: 1000,
  attempt: 1,
  outputSchema: schema,
  ...extra,
});

describe("simulated structured output", () => {
  const schemas: [string, OutputJsonSchema][] = [
    ["plan", PLAN_SCHEMA],
    [
      "scalars with bounds",
      {
        type: "object",
        properties: {
          n: { type: "integer", minimum: 2.5, maximum: 9 },
          x: { type: "number", maximum: -1 },
          short: { type: "string", maxLength: 4 },
          long: { type: "string", minLength: 60 },
          ok: { type: "boolean" },
          none: { type: "null" },
          maybe: { type: ["null", "string"] },
          pick: { enum: ["low", "high"] },
          fixed: { const: 42 },
          either: { anyOf: [{ type: "integer" }, { type: "string" }] },
          empty: { type: "array", maxItems: 0, items: { type: "string" } },
        },
        required: ["n", "x", "short", "long"],
      },
    ],
    ["a top-level array", { type: "array", minItems: 3, items: { type: "string" } }],
  ];

  it.each(schemas)("%s: schema-valid and deterministic", async (_name, schema) => {
    const sim = new SimulatedProvider();
    const one = await sim.generate(request(schema));
    const two = await sim.generate(request(schema, { prompt: "another prompt", attempt: 2 }));
    expect(one.simulated).toBe(true);
    expect(one.structured).toEqual({ value: simulatedObject(schema) });
    expect(outputChecker(schema)(simulatedObject(schema))).toBeNull();
    expect(JSON.parse(one.text)).toEqual(simulatedObject(schema));
    expect(two.text).toBe(one.text);
  });

  it("says it is simulated in its strings, and isSimulatedText sees it", async () => {
    const out = await new SimulatedProvider().generate(request(PLAN_SCHEMA));
    expect(JSON.parse(out.text)).toEqual({ files: [{ path: SIMULATED_BANNER }] });
    expect(isSimulatedText(out.text)).toBe(true);
    expect(isSimulatedText('{"files":[{"path":"src/a.ts"}]}')).toBe(false);
  });
});

/** A provider answering from a script of values, recording the prompts it was sent. */
function scripted(answers: unknown[]): LlmProvider & { prompts: string[] } {
  const prompts: string[] = [];
  return {
    name: "scripted",
    prompts,
    async generate(req: GenerateRequest): Promise<GenerateResult> {
      prompts.push(req.prompt);
      const value = answers[prompts.length - 1];
      if (value instanceof Error) throw value;
      return {
        text: JSON.stringify(value),
        model: "m",
        usage: { inputTokens: 10, outputTokens: 5 },
        stopReason: "end",
        simulated: false,
        structured: typeof value === "string" && value.startsWith("!") ? { parseError: value } : { value },
      };
    },
  };
}

describe("validation, one retry with the error, then a non-retryable failure", () => {
  it("a matching answer is returned after one call", async () => {
    const llm = scripted([{ files: [{ path: "a" }] }]);
    const out = await generateStructured(llm, request(PLAN_SCHEMA));
    expect(out.structured).toEqual({ value: { files: [{ path: "a" }] } });
    expect(llm.prompts).toHaveLength(1);
  });

  it("a mismatch is retried once with the validation error in the prompt; usage of both calls is summed", async () => {
    const llm = scripted([{ files: [{ path: 3 }] }, { files: [{ path: "a" }] }]);
    const out = await generateStructured(llm, request(PLAN_SCHEMA));
    expect(out.structured).toEqual({ value: { files: [{ path: "a" }] } });
    expect(llm.prompts[1]).toContain("make a plan");
    expect(llm.prompts[1]).toContain("/files/0/path");
    expect(out.usage).toEqual({ inputTokens: 20, outputTokens: 10 });
  });

  it("a second mismatch fails non-retryably naming the JSON pointer, carrying both calls' usage", async () => {
    const llm = scripted([{ files: [] }, { files: [{}] }]);
    const err = await generateStructured(llm, request(PLAN_SCHEMA)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StructuredOutputError);
    const e = err as StructuredOutputError;
    expect(e.kind).toBe("non-retryable");
    expect(e.message).toContain("/files/0");
    expect(e.mismatch.pointer).toBe("/files/0");
    expect(e.usage).toEqual({ inputTokens: 20, outputTokens: 10 });
    expect(llm.prompts).toHaveLength(2);
  });

  it("names the offending value by an RFC 6901 JSON Pointer, not a URI fragment", () => {
    const schema: OutputJsonSchema = {
      type: "object",
      properties: { "a b": { type: "string" }, "é/x": { type: "string" } },
    };
    expect(outputChecker(schema)({ "a b": 1 })?.pointer).toBe("/a b");
    expect(outputChecker(schema)({ "é/x": 1 })?.pointer).toBe("/é~1x");
  });

  it("an answer that is not JSON counts as a mismatch at the root", async () => {
    const llm = scripted(["!not json", "!still not json"]);
    const err = (await generateStructured(llm, request(PLAN_SCHEMA)).catch((e: unknown) => e)) as StructuredOutputError;
    expect(err.message).toContain("at the root");
    expect(err.message).toContain("not JSON");
  });

  it("a failing retry keeps the first call's paid usage and the failure's kind", async () => {
    const llm = scripted([{ files: [] }, new Error("socket hang up")]);
    const err = await generateStructured(llm, request(PLAN_SCHEMA)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PaidCallsError);
    expect((err as PaidCallsError).kind).toBe("retryable");
    expect((err as PaidCallsError).usage).toEqual({ inputTokens: 10, outputTokens: 5 });
  });
});

describe("AI SDK structured output (not a hand-written JSON prompt)", () => {
  const answer = (text: string) => ({
    content: [{ type: "text" as const, text }],
    finishReason: { unified: "stop" as const, raw: "stop" },
    usage: {
      inputTokens: { total: 12, noCache: 12, cacheRead: undefined, cacheWrite: undefined },
      outputTokens: { total: 7, text: 7, reasoning: undefined },
    },
    warnings: [],
  });

  it("asks for a JSON response format with the node's schema and returns the parsed value", async () => {
    const model = new MockLanguageModelV4({ doGenerate: answer('{"files":[{"path":"a.ts"}]}') });
    const out = await generateWithAiSdk(model, request(PLAN_SCHEMA), { provider: "mock", sharedContext: "block" });
    expect(model.doGenerateCalls[0]?.responseFormat).toEqual({ type: "json", schema: PLAN_SCHEMA });
    expect(model.doGenerateCalls[0]?.prompt.map((m) => JSON.stringify(m.content)).join("")).not.toContain("JSON");
    expect(out.structured).toEqual({ value: { files: [{ path: "a.ts" }] } });
    expect(out.text).toBe('{"files":[{"path":"a.ts"}]}');
    expect(out.usage).toEqual({ inputTokens: 12, outputTokens: 7 });
  });

  it("an answer that is not JSON comes back as a paid parse error, not a throw", async () => {
    const model = new MockLanguageModelV4({ doGenerate: answer("Sure! Here is the plan") });
    const out = await generateWithAiSdk(model, request(PLAN_SCHEMA), { provider: "mock", sharedContext: "block" });
    expect(out.structured && "parseError" in out.structured).toBe(true);
    expect(out.usage.outputTokens).toBe(7);
  });

  it("a text call sends no response format", async () => {
    const model = new MockLanguageModelV4({ doGenerate: answer("hello") });
    const out = await generateWithAiSdk(model, request(PLAN_SCHEMA, { outputSchema: undefined }), {
      provider: "mock",
      sharedContext: "block",
    });
    expect(model.doGenerateCalls[0]?.responseFormat?.type ?? "text").toBe("text");
    expect(out.text).toBe("hello");
    expect(out.structured).toBeUndefined();
  });
});
