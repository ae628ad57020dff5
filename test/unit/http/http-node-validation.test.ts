import { describe, expect, it } from "vitest";
import { type HttpValidation, validateWorkflow } from "../../../shared/dag/validate.js";
import { parseAllowedHosts } from "../../../shared/http/ssrf-guard.js";
import { workflowDefinitionSchema } from "../../../shared/schema/workflow.js";

const http: HttpValidation = {
  policy: { environment: "production", allowedHosts: parseAllowedHosts("api.example.com, *.flowise.example") },
  secrets: ["FLOWISE_API_KEY"],
};

const agents = { assistant: {} };

/** The field errors of a definition that must fail validation. */
function errorsOf(nodes: unknown[], opts: { http?: HttpValidation } = { http }) {
  const v = validateWorkflow({ name: "w", agents, nodes }, "", opts);
  if (v.ok) throw new Error("expected the definition to be refused");
  expect(v.problem.status).toBe(422);
  return (v.problem as { errors: { pointer: string; node?: string; detail: string }[] }).errors;
}

const ask = (httpSpec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id: "ask",
  kind: "http",
  http: httpSpec,
  ...extra,
});

describe("http node schema", () => {
  it("needs no prompt: it gets its description, and the parsed definition parses again unchanged", () => {
    const parsed = workflowDefinitionSchema.parse({
      name: "w",
      nodes: [ask({ url: "https://api.example.com/v1/{{input.x}}" })],
    });
    const node = parsed.nodes[0];
    expect(node?.prompt).toBe("POST https://api.example.com/v1/{{input.x}}");
    expect(node?.http?.method).toBe("POST");
    expect(workflowDefinitionSchema.parse(parsed)).toEqual(parsed);
  });

  it("keeps an http node's own prompt as its description", () => {
    const parsed = workflowDefinitionSchema.parse({
      name: "w",
      nodes: [ask({ method: "GET", url: "https://api.example.com/" }, { prompt: "Look the user up" })],
    });
    expect(parsed.nodes[0]?.prompt).toBe("Look the user up");
  });

  it.each([
    [[{ id: "a" }], "/nodes/0/prompt", "a llm node needs a prompt"],
    [[{ id: "a", kind: "http" }], "/nodes/0/http", 'an http node needs "http"'],
    [[{ id: "a", prompt: "p", http: { url: "https://api.example.com/" } }], "/nodes/0/http", "belongs to http nodes"],
    [[ask({ url: "https://api.example.com/", method: "TRACE" })], "/nodes/0/http/method", ""],
    [[ask({ url: "https://api.example.com/", extra: 1 })], "/nodes/0/http/extra", "Unrecognized key"],
    [
      [ask({ url: "https://api.example.com/", headers: { "Upstash-Delay": "1d" } })],
      "/nodes/0/http/headers/Upstash-Delay",
      "may not be set",
    ],
    [[ask({ url: "https://api.example.com/", headers: { "bad name": "x" } })], "/nodes/0/http/headers/bad name", ""],
    [[{ id: "a", kind: "workflow", prompt: "p" }], "/nodes/0/workflow", 'a workflow node needs "workflow"'],
  ])("refuses %j at %s", (nodes, pointer, detail) => {
    const errors = errorsOf(nodes);
    expect(errors).toContainEqual(expect.objectContaining({ pointer, detail: expect.stringContaining(detail) }));
  });
});

describe("http node validation", () => {
  it.each([
    ["http://10.0.0.5/", "private"],
    ["http://169.254.169.254/latest/meta-data/", "link-local"],
    ["https://127.0.0.1/", "loopback"],
    ["https://[::ffff:10.0.0.1]/", "private"],
    ["http://api.example.com/", "scheme http"],
    ["https://evil.example.net/", "not in HTTP_NODE_ALLOWED_HOSTS"],
    // a templated path does not hide a literal origin
    ["https://10.1.2.3/{{input.path}}", "private"],
  ])("refuses the URL %s at /nodes/<i>/http/url, naming the node", (url, reason) => {
    const errors = errorsOf([ask({ url })]);
    expect(errors).toContainEqual({
      pointer: "/nodes/0/http/url",
      node: "ask",
      detail: expect.stringContaining(reason),
    });
  });

  it("refuses every URL when the allowlist is empty", () => {
    const errors = errorsOf([ask({ url: "https://api.example.com/" })], {
      http: { policy: { environment: "production", allowedHosts: [] }, secrets: [] },
    });
    expect(errors[0]?.detail).toContain("HTTP_NODE_ALLOWED_HOSTS is empty");
  });

  it("accepts allowlisted URLs, a templated host (judged when it renders) and field reads of its response", () => {
    const v = validateWorkflow(
      {
        name: "w",
        agents,
        nodes: [
          ask({
            url: "https://eu.flowise.example/api/v1/prediction/{{input.flow}}",
            headers: { Authorization: "Bearer {{secrets.FLOWISE_API_KEY}}" },
            body: { question: "{{input.q}}", n: 1 },
          }),
          ask({ url: "{{input.origin}}/x" }, { id: "dyn" }),
          { id: "use", dependsOn: ["ask"], prompt: "Answer: {{nodes.ask.output.text}}" },
        ],
      },
      "",
      { http },
    );
    expect(v.ok ? [] : v.problem).toEqual([]);
    if (v.ok) expect(v.dag.levels).toEqual([["ask", "dyn"], ["use"]]);
  });

  it.each([
    [{ url: "https://api.example.com/{{secrets.FLOWISE_API_KEY}}" }, "/nodes/0/http/url", "header values only"],
    [
      { url: "https://api.example.com/", body: "{{secrets.FLOWISE_API_KEY}}" },
      "/nodes/0/http/body",
      "header values only",
    ],
    [
      { url: "https://api.example.com/", headers: { Authorization: "Bearer {{secrets.OTHER_KEY}}" } },
      "/nodes/0/http/headers/Authorization",
      "OTHER_KEY is not one of HTTP_NODE_SECRETS",
    ],
    [
      { url: "https://api.example.com/", headers: { "X-Key": "{{secrets.bad-name}}" } },
      "/nodes/0/http/headers/X-Key",
      "{{secrets.NAME}}",
    ],
  ])("refuses secrets read where they may not be: %j", (spec, pointer, detail) => {
    expect(errorsOf([ask(spec)])).toContainEqual(
      expect.objectContaining({ pointer, node: "ask", detail: expect.stringContaining(detail) }),
    );
  });

  it("checks node references in url, headers and body like a prompt's, at their own pointers", () => {
    const errors = errorsOf([
      { id: "a", prompt: "p" },
      { id: "b", prompt: "p" },
      ask(
        {
          url: "https://api.example.com/{{nodes.b.output}}",
          headers: { "X-From": "{{nodes.ghost.output}}" },
          body: { items: ["{{nodes.a.output.x}}"] },
        },
        { dependsOn: ["a"] },
      ),
    ]);
    const at = (p: string) => errors.filter((e) => e.pointer === p).map((e) => e.detail);
    expect(at("/nodes/2/http/url")[0]).toContain('"b" is not an ancestor of "ask"');
    expect(at("/nodes/2/http/headers/X-From")[0]).toContain('there is no node "ghost"');
    expect(at("/nodes/2/http/body/items/0")[0]).toContain("has no output schema");
    // the description is not checked as a prompt
    expect(at("/nodes/2/prompt")).toEqual([]);
  });
});
