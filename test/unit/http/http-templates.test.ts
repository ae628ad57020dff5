import { describe, expect, it } from "vitest";
import { httpTemplateRefs, literalUrlPart, renderHttpRequest } from "../../../shared/http/http-templates.js";
import { httpSpecSchema } from "../../../shared/schema/http-node.js";

const spec = (s: unknown) => httpSpecSchema.parse(s);
const ctx = { input: { q: "why?", flow: "cf1" }, outputs: { plan: '{"topic":"dags"}', raw: "{{secrets.KEY}}" } };

describe("renderHttpRequest", () => {
  it("renders url, headers and a JSON body's strings, fills secrets written in the template, sets JSON", () => {
    const req = renderHttpRequest(
      spec({
        url: "https://api.example.com/p/{{input.flow}}",
        headers: { Authorization: "Bearer {{ secrets.KEY }}", "X-Topic": "{{nodes.plan.output.topic}}" },
        body: { question: "{{input.q}}", n: 2, tags: ["{{nodes.plan.output.topic}}"] },
      }),
      ctx,
      { KEY: "s3cret" },
    );
    expect(req).toEqual({
      method: "POST",
      url: "https://api.example.com/p/cf1",
      headers: { Authorization: "Bearer s3cret", "X-Topic": "dags", "Content-Type": "application/json" },
      body: JSON.stringify({ question: "why?", n: 2, tags: ["dags"] }),
    });
  });

  it("never fills a secret from what an upstream output renders to", () => {
    const req = renderHttpRequest(
      spec({
        url: "https://api.example.com/",
        headers: { "X-Echo": "{{nodes.raw.output}}" },
        body: "{{nodes.raw.output}}",
      }),
      ctx,
      { KEY: "s3cret" },
    );
    expect(JSON.stringify(req)).not.toContain("s3cret");
    expect(req.headers["X-Echo"]).toBe("{{secrets.KEY}}");
    expect(req.headers["Content-Type"]).toBe("text/plain; charset=utf-8");
  });

  it("fails naming the secret, never a value, when a secret is not available; GET sends no body", () => {
    expect(() =>
      renderHttpRequest(spec({ url: "https://a.example/", headers: { A: "{{secrets.GONE}}" } }), ctx, {
        KEY: "s3cret",
      }),
    ).toThrow("header A reads secret GONE, which is not available");
    expect(renderHttpRequest(spec({ method: "GET", url: "https://a.example/", body: "x" }), ctx, {}).body).toBe(
      undefined,
    );
  });

  it("refuses a header value that renders a line break", () => {
    expect(() =>
      renderHttpRequest(
        spec({ url: "https://a.example/", headers: { A: "{{input.q}}" } }),
        { ...ctx, input: { q: "a\r\nB: c" } },
        {},
      ),
    ).toThrow("line break");
  });
});

describe("httpTemplateRefs and literalUrlPart", () => {
  it("lists what url, headers and body read, secrets left out", () => {
    const refs = httpTemplateRefs(
      spec({
        url: "https://a.example/{{input.flow}}",
        headers: { A: "{{secrets.KEY}} {{nodes.plan.output}}" },
        body: { x: ["{{nodes.plan.output.topic}}", "{{input.q}}"] },
      }),
    );
    expect(refs).toMatchObject({
      inputs: ["flow", "q"],
      nodes: ["plan"],
      fields: ["plan"],
      whole: ["plan"],
      invalid: [],
    });
  });

  it.each([
    ["https://a.example/x", "https://a.example/x"],
    ["https://10.0.0.1/{{input.p}}", "https://10.0.0.1/"],
    ["https://a.example?{{input.q}}", "https://a.example?"],
    ["{{input.origin}}/x", null],
    ["https://{{input.host}}/x", null],
  ])("%s → %s", (url, part) => {
    expect(literalUrlPart(url)).toBe(part);
  });
});
