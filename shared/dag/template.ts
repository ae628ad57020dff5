/**
 * Prompt templates: `{{input.<dotted.path>}}` reads the run input, `{{nodes.<id>.output}}` reads an upstream
 * node's output. Whitespace inside the braces is allowed (`{{ input.repo }}`); an expression contains no `{` or
 * `}`, so `{{{input.x}}}` renders the value wrapped in single braces.
 *
 * Grammar of an expression (the trimmed text between `{{` and `}}`):
 * - `input.<seg>(.<seg>)*`, each segment matching `/^[A-Za-z0-9_$-]+$/`; numeric segments index arrays;
 * - `nodes.<id>.output`, `<id>` matching the node id pattern; ids may contain dots, so the id is everything
 *   between `nodes.` and the final `.output`.
 * An expression that starts with `input` or `nodes` but does not match is invalid (a likely typo, reported by
 * validation and thrown by rendering). Any other `{{…}}` is plain text and rendered unchanged.
 */
import { NODE_ID_RE } from "../schema/workflow.js";

/** One piece of a parsed template. `raw` is the full `{{…}}` text of an expression. */
export type TemplatePart =
  | { kind: "text"; text: string }
  | { kind: "input"; raw: string; path: string[] }
  | { kind: "node"; raw: string; id: string }
  | { kind: "invalid"; raw: string; reason: string };

/**
 * References of a template, each listed once in order of first appearance.
 * - `inputs`: dotted input paths without the `input.` prefix, e.g. `"repo"`, `"files.0.name"`.
 * - `nodes`: node ids read with `{{nodes.<id>.output}}`.
 * - `invalid`: malformed expressions (`raw` text and `reason`).
 */
export type TemplateRefs = { inputs: string[]; nodes: string[]; invalid: { raw: string; reason: string }[] };

/** Values a template renders from: the run `input` (any JSON) and upstream `outputs` (node id -> text). */
export type TemplateContext = { input: unknown; outputs: Readonly<Record<string, string>> };

/** Thrown by {@link renderTemplate}: `code` is `"unknown-node"` (no output for the id) or `"invalid-expression"`. */
export class TemplateError extends Error {
  /** What went wrong. */
  readonly code: "unknown-node" | "invalid-expression";
  /** The offending `{{…}}` text. */
  readonly expression: string;

  /**
   * @param code - kind of failure.
   * @param expression - the offending `{{…}}` text.
   * @param message - human explanation.
   */
  constructor(code: "unknown-node" | "invalid-expression", expression: string, message: string) {
    super(message);
    this.name = "TemplateError";
    this.code = code;
    this.expression = expression;
  }
}

const EXPRESSION_RE = /\{\{([^{}]*)\}\}/g;
const INPUT_SEGMENT_RE = /^[A-Za-z0-9_$-]+$/;
const NODE_REF_RE = /^nodes\.(.+)\.output$/;

function parseExpression(raw: string, body: string): TemplatePart {
  const expr = body.trim();
  if (expr === "input" || expr.startsWith("input.")) {
    const path = expr.split(".").slice(1);
    if (path.length === 0 || !path.every((s) => INPUT_SEGMENT_RE.test(s))) {
      return { kind: "invalid", raw, reason: `invalid input reference ${raw}: expected {{input.<dotted.path>}}` };
    }
    return { kind: "input", raw, path };
  }
  if (expr === "nodes" || expr.startsWith("nodes.")) {
    const m = NODE_REF_RE.exec(expr);
    if (!m || !NODE_ID_RE.test(m[1]!)) {
      return { kind: "invalid", raw, reason: `invalid node reference ${raw}: expected {{nodes.<id>.output}}` };
    }
    return { kind: "node", raw, id: m[1]! };
  }
  return { kind: "text", text: raw };
}

/**
 * Splits a template into text and expressions. Never throws; malformed references become `invalid` parts.
 * Adjacent text parts are merged.
 */
export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  const pushText = (text: string): void => {
    if (text === "") return;
    const last = parts[parts.length - 1];
    if (last?.kind === "text") last.text += text;
    else parts.push({ kind: "text", text });
  };
  let at = 0;
  for (const m of template.matchAll(EXPRESSION_RE)) {
    pushText(template.slice(at, m.index));
    const part = parseExpression(m[0], m[1]!);
    if (part.kind === "text") pushText(part.text);
    else parts.push(part);
    at = m.index + m[0].length;
  }
  pushText(template.slice(at));
  return parts;
}

/** Lists the input paths and node ids a template reads, plus its malformed expressions; see {@link TemplateRefs}. */
export function templateRefs(template: string): TemplateRefs {
  const inputs = new Set<string>();
  const nodes = new Set<string>();
  const invalid: TemplateRefs["invalid"] = [];
  for (const part of parseTemplate(template)) {
    if (part.kind === "input") inputs.add(part.path.join("."));
    else if (part.kind === "node") nodes.add(part.id);
    else if (part.kind === "invalid") invalid.push({ raw: part.raw, reason: part.reason });
  }
  return { inputs: [...inputs], nodes: [...nodes], invalid };
}

/**
 * The value at `path` inside `value`, following own properties only (never the prototype chain, so `__proto__` or
 * `constructor` in a template reads nothing); undefined when a segment is missing. Shared with prompt-size.ts, which
 * must measure exactly what this renders.
 */
export function lookup(value: unknown, path: readonly string[]): unknown {
  let cur = value;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object" || !Object.hasOwn(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

function stringify(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return JSON.stringify(value) ?? "";
}

/**
 * Renders a template.
 *
 * Rendering rules:
 * - `{{input.a.b}}`: the value at that path of `ctx.input` (own properties only; numeric segments index arrays).
 *   Strings are inserted as is, numbers and booleans as text, `null`, objects and arrays as compact JSON.
 *   A missing path renders as the empty string (the run input is free-form; a workflow may read optional fields).
 * - `{{nodes.<id>.output}}`: `ctx.outputs[id]`.
 * - other `{{…}}`: unchanged.
 *
 * @throws TemplateError `unknown-node` when `ctx.outputs` has no entry for a referenced node, or
 *   `invalid-expression` for a malformed `{{input…}}` / `{{nodes…}}` expression.
 */
export function renderTemplate(template: string, ctx: TemplateContext): string {
  let out = "";
  for (const part of parseTemplate(template)) {
    switch (part.kind) {
      case "text":
        out += part.text;
        break;
      case "input":
        out += stringify(lookup(ctx.input, part.path));
        break;
      case "node":
        if (!Object.hasOwn(ctx.outputs, part.id)) {
          throw new TemplateError(
            "unknown-node",
            part.raw,
            `template reads ${part.raw} but node "${part.id}" has no output`,
          );
        }
        out += ctx.outputs[part.id]!;
        break;
      case "invalid":
        throw new TemplateError("invalid-expression", part.raw, part.reason);
    }
  }
  return out;
}
