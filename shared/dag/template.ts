/**
 * Prompt templates: `{{input.<dotted.path>}}` reads the run input, `{{nodes.<id>.output}}` reads an upstream
 * node's output. Whitespace inside the braces is allowed (`{{ input.repo }}`); an expression contains no `{` or
 * `}`, so `{{{input.x}}}` renders the value wrapped in single braces.
 *
 * Grammar of an expression (the trimmed text between `{{` and `}}`), where a path is one or more steps, each
 * `.<seg>` (a field; `<seg>` matching `/^[A-Za-z0-9_$-]+$/`, numeric segments also index arrays) or `[<n>]` (element
 * `n` of an array, `n` a decimal integer):
 * - `input<path>`, the path starting with `.` (a field; `[n]` steps come after it), e.g. `input.files[0].name`;
 * - `nodes.<id>.output`, `<id>` matching the node id pattern; ids may contain dots, so the id is everything
 *   between `nodes.` and the final `.output`;
 * - `nodes.<id>.output<path>`: a field or element of a structured output (a node with `output.schema`, whose output
 *   is JSON), e.g. `nodes.plan.output.files[0].path`; the id is then everything before the last `.output` followed
 *   by a valid path. (A path whose last step is a field named `output` reads as a node id instead.)
 * An expression that is `input` or `nodes`, or starts with `input.` or `nodes.`, but does not match is invalid (a
 * likely typo, reported by validation and thrown by rendering). Any other `{{…}}` (`{{input[0]}}` included) is plain
 * text and rendered unchanged.
 */
import { NODE_ID_RE } from "../schema/workflow.js";

/** One piece of a parsed template. `raw` is the full `{{…}}` text of an expression. */
export type TemplatePart =
  | { kind: "text"; text: string }
  | { kind: "input"; raw: string; path: string[] }
  | { kind: "node"; raw: string; id: string; path?: string[] | undefined }
  | { kind: "invalid"; raw: string; reason: string };

/**
 * References of a template, each listed once in order of first appearance.
 * - `inputs`: dotted input paths without the `input.` prefix, e.g. `"repo"`, `"files.0.name"`.
 * - `nodes`: node ids read with `{{nodes.<id>.output}}` or `{{nodes.<id>.output<path>}}`.
 * - `fields`: the node ids among `nodes` read with a path (their output must be structured JSON).
 * - `whole`: the node ids among `nodes` read whole, `{{nodes.<id>.output}}` (only these can be a shared context).
 * - `invalid`: malformed expressions (`raw` text and `reason`).
 */
export type TemplateRefs = {
  inputs: string[];
  nodes: string[];
  fields: string[];
  whole: string[];
  invalid: { raw: string; reason: string }[];
};

/**
 * Values a template renders from: the run `input` (any JSON) and upstream `outputs` (node id -> text). `fields`, when
 * given, is where `{{nodes.<id>.output<path>}}` reads instead of `outputs` (the engine replaces a shared upstream
 * output in `outputs` by a pointer to the shared context, but its fields are still read from the output itself).
 */
export type TemplateContext = {
  input: unknown;
  outputs: Readonly<Record<string, string>>;
  fields?: Readonly<Record<string, string>> | undefined;
};

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
const NODE_REF_RE = /^nodes\.(.+)\.output$/;
const PATH_STEP_RE = /\.([A-Za-z0-9_$-]+)|\[(\d{1,9})\]/y;

/** The segments of a path (`.a[0].b` -> `["a", "0", "b"]`), or null when `text` is not one (empty included). Shared
 * with map-refs.ts (`{{item<path>}}`). */
export function parsePath(text: string): string[] | null {
  const out: string[] = [];
  PATH_STEP_RE.lastIndex = 0;
  while (PATH_STEP_RE.lastIndex < text.length) {
    const m = PATH_STEP_RE.exec(text);
    if (!m) return null;
    out.push(m[1] ?? String(Number(m[2])));
  }
  return out.length > 0 ? out : null;
}

function parseNodeExpression(raw: string, expr: string): TemplatePart {
  const m = NODE_REF_RE.exec(expr);
  if (m && NODE_ID_RE.test(m[1]!)) return { kind: "node", raw, id: m[1]! };
  // a path after `.output`: the last `.output` that leaves a valid id before it and a valid path after it
  for (let at = expr.lastIndexOf(".output"); at > 6; at = expr.lastIndexOf(".output", at - 1)) {
    const id = expr.slice(6, at);
    const path = parsePath(expr.slice(at + 7));
    if (path && NODE_ID_RE.test(id)) return { kind: "node", raw, id, path };
  }
  return {
    kind: "invalid",
    raw,
    reason: `invalid node reference ${raw}: expected {{nodes.<id>.output}} or {{nodes.<id>.output.<field>[<n>]…}}`,
  };
}

function parseExpression(raw: string, body: string): TemplatePart {
  const expr = body.trim();
  // only `input` and `input.…` are input references (`[n]` steps after the first field): `{{input[0]}}` stays text
  if (expr === "input" || expr.startsWith("input.")) {
    const path = parsePath(expr.slice(5));
    if (!path) {
      return { kind: "invalid", raw, reason: `invalid input reference ${raw}: expected {{input.<dotted.path>}}` };
    }
    return { kind: "input", raw, path };
  }
  if (expr === "nodes" || expr.startsWith("nodes.")) return parseNodeExpression(raw, expr);
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
  const fields = new Set<string>();
  const whole = new Set<string>();
  const invalid: TemplateRefs["invalid"] = [];
  for (const part of parseTemplate(template)) {
    if (part.kind === "input") inputs.add(part.path.join("."));
    else if (part.kind === "node") {
      nodes.add(part.id);
      if (part.path) fields.add(part.id);
      else whole.add(part.id);
    } else if (part.kind === "invalid") invalid.push({ raw: part.raw, reason: part.reason });
  }
  return { inputs: [...inputs], nodes: [...nodes], fields: [...fields], whole: [...whole], invalid };
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

/**
 * The value at `path` inside the output of node `id` parsed as JSON (read from `ctx.fields`, else `ctx.outputs`);
 * undefined when the node has no output there, the output is not JSON (e.g. a failed upstream's `[FAILED: …]` under
 * `onFailure: "continue"`) or the path is missing. `parsed` memoises each output's parse for one rendering. Shared
 * with prompt-size.ts, which must measure exactly what this renders.
 */
export function lookupField(
  ctx: TemplateContext,
  id: string,
  path: readonly string[],
  parsed: Map<string, unknown>,
): unknown {
  let value = parsed.get(id);
  if (value === undefined && !parsed.has(id)) {
    const source = ctx.fields ?? ctx.outputs;
    const text = Object.hasOwn(source, id) ? source[id] : undefined;
    try {
      value = text === undefined ? undefined : JSON.parse(text);
    } catch {
      value = undefined;
    }
    parsed.set(id, value);
  }
  return lookup(value, path);
}

/** How a looked-up value renders: strings as is, numbers and booleans as text, `null`, objects and arrays as compact
 * JSON, undefined as the empty string. Shared with map-refs.ts (`{{item…}}`). */
export function stringify(value: unknown): string {
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
 * - `{{nodes.<id>.output<path>}}`: the value at the path of that output parsed as JSON ({@link lookupField}),
 *   rendered as `{{input…}}` values are; a missing path, or an output that is not JSON, renders as the empty string.
 * - other `{{…}}`: unchanged.
 *
 * @throws TemplateError `unknown-node` when `ctx.outputs` has no entry for a referenced node, or
 *   `invalid-expression` for a malformed `{{input…}}` / `{{nodes…}}` expression.
 */
export function renderTemplate(template: string, ctx: TemplateContext): string {
  let out = "";
  let parsed: Map<string, unknown> | undefined;
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
        if (part.path) out += stringify(lookupField(ctx, part.id, part.path, (parsed ??= new Map())));
        else out += ctx.outputs[part.id]!;
        break;
      case "invalid":
        throw new TemplateError("invalid-expression", part.raw, part.reason);
    }
  }
  return out;
}
