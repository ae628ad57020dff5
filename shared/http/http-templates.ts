/**
 * The templates of an http node (`http.url`, header values, the strings of `body`: shared/schema/http-node.ts),
 * what they read, what validation says about them, and their rendering into the request QStash sends.
 *
 * Secrets: `{{secrets.NAME}}` may appear in header values only, is matched in the template as written (never in
 * what an `{{input…}}` or `{{nodes…}}` value renders to, so an upstream output cannot pull a secret into a request),
 * and names one of the operator's `HTTP_NODE_SECRETS`. Its value is read from the worker's environment when the
 * request is published and goes only into that request.
 */
import { renderTemplate, type TemplateContext, type TemplateRefs, templateRefs } from "../dag/template.js";
import { type HttpSpec, MAX_HTTP_BODY_BYTES } from "../schema/http-node.js";
import { checkHttpNodeUrl, type HttpNodePolicy } from "./ssrf-guard.js";

/** A secret reference as written in a header value: `{{secrets.NAME}}` (spaces inside the braces allowed). */
const SECRET_RE = /\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]{0,127})\s*\}\}/g;

/** Any expression that starts with `secrets` (`{{secrets}}`, `{{ secrets.x.y }}`…), to tell malformed ones apart. */
const SECRETISH_RE = /\{\{\s*secrets(\b[^{}]*)\}\}/g;

/** One template of an http node: its path inside the node (e.g. `["http", "headers", "Authorization"]`) and text. */
export interface HttpTemplate {
  path: (string | number)[];
  template: string;
  /** Header values may read secrets; nothing else may. */
  header: boolean;
}

/** Every template of `spec`: the url, each header value, each string inside `body` (depth first). */
export function httpTemplates(spec: HttpSpec): HttpTemplate[] {
  const out: HttpTemplate[] = [{ path: ["http", "url"], template: spec.url, header: false }];
  for (const [name, value] of Object.entries(spec.headers ?? {}))
    out.push({ path: ["http", "headers", name], template: value, header: true });
  const walk = (value: unknown, path: (string | number)[]): void => {
    if (typeof value === "string") out.push({ path, template: value, header: false });
    else if (Array.isArray(value)) for (const [i, v] of value.entries()) walk(v, [...path, i]);
    else if (value !== null && typeof value === "object")
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(spec.body, ["http", "body"]);
  return out;
}

/** What an http node's templates read, merged (each input path and node id once, in order of first appearance). */
export function httpTemplateRefs(spec: HttpSpec): TemplateRefs {
  const merged: TemplateRefs = { inputs: [], nodes: [], fields: [], whole: [], invalid: [] };
  for (const t of httpTemplates(spec)) {
    const r = templateRefs(t.template.replace(SECRETISH_RE, ""));
    for (const k of ["inputs", "nodes", "fields", "whole"] as const)
      for (const v of r[k]) if (!merged[k].includes(v)) merged[k].push(v);
    merged.invalid.push(...r.invalid);
  }
  return merged;
}

/** The secret names a template reads. */
function secretNames(template: string): string[] {
  return [...template.matchAll(SECRET_RE)].map((m) => m[1] as string);
}

/**
 * Problems of an http node's request that do not depend on the graph: a secret outside a header value, a malformed
 * `{{secrets…}}`, a secret name the operator does not list (when `secrets` is given), and a URL the SSRF guard refuses
 * (when `policy` is given: the whole URL when it is literal, its origin when only the path or query is templated).
 * Each issue's `path` is relative to the node. Node references are checked by shared/dag/validate.ts like a prompt's.
 */
export function httpSpecIssues(
  spec: HttpSpec,
  policy?: HttpNodePolicy,
  secrets?: readonly string[],
): { path: (string | number)[]; detail: string }[] {
  const issues: { path: (string | number)[]; detail: string }[] = [];
  for (const t of httpTemplates(spec)) {
    const named = secretNames(t.template);
    const malformed = [...t.template.matchAll(SECRETISH_RE)].length > named.length;
    if (malformed)
      issues.push({ path: t.path, detail: "a secret is read as {{secrets.NAME}} (letters, digits, underscores)" });
    if (named.length > 0 && !t.header)
      issues.push({ path: t.path, detail: "secrets may be read in header values only" });
    if (t.header && secrets)
      for (const name of named)
        if (!secrets.includes(name))
          issues.push({ path: t.path, detail: `secret ${name} is not one of HTTP_NODE_SECRETS` });
  }
  if (policy) {
    const literal = literalUrlPart(spec.url);
    if (literal !== null) {
      const v = checkHttpNodeUrl(literal, policy);
      if (!v.ok) issues.push({ path: ["http", "url"], detail: `the URL is refused: ${v.reason}` });
    }
  }
  return issues;
}

/**
 * The part of a URL template the guard can judge before rendering: the URL itself when it has no `{{`, or its
 * scheme and authority when they come before the first `{{` (a templated path or query); else null (a templated host
 * is judged when it renders).
 */
export function literalUrlPart(url: string): string | null {
  const at = url.indexOf("{{");
  if (at < 0) return url;
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*[/?#]/.exec(url.slice(0, at));
  return m ? m[0] : null;
}

/** The request an http node sends, rendered: secrets included (hold it in memory only, never store or log it). */
export interface RenderedHttpRequest {
  method: HttpSpec["method"];
  url: string;
  headers: Record<string, string>;
  /** Absent for a node without `body` (and for GET). */
  body?: string | undefined;
}

/** A node's request cannot be rendered: the message names the field and, for a secret, its name only. */
export class HttpRenderError extends Error {
  override name = "HttpRenderError";
}

/**
 * Renders an http node's request from the run input and upstream outputs (template.ts rules), filling header
 * secrets from `secrets` (name → value). A JSON `body` is rendered string by string and sent as JSON (content type
 * `application/json` unless a header sets one); a string body is sent as is (`text/plain; charset=utf-8` by default).
 * @throws HttpRenderError when a secret is missing, or the body renders larger than {@link MAX_HTTP_BODY_BYTES};
 *   TemplateError as renderTemplate.
 */
export function renderHttpRequest(
  spec: HttpSpec,
  ctx: TemplateContext,
  secrets: Readonly<Record<string, string>>,
): RenderedHttpRequest {
  const url = renderTemplate(spec.url, ctx).trim();
  const headers: Record<string, string> = {};
  for (const [header, template] of Object.entries(spec.headers ?? {})) {
    // split on the secret references of the template as written, render the rest, then put the secrets in
    const parts = template.split(/(\{\{\s*secrets\.[A-Za-z_][A-Za-z0-9_]{0,127}\s*\}\})/);
    let value = "";
    for (const part of parts) {
      const secret = /^\{\{\s*secrets\.([A-Za-z0-9_]+)\s*\}\}$/.exec(part);
      if (!secret) {
        value += renderTemplate(part, ctx);
        continue;
      }
      const name = secret[1] as string;
      if (!Object.hasOwn(secrets, name))
        throw new HttpRenderError(`header ${header} reads secret ${name}, which is not available`);
      value += secrets[name];
    }
    if (/[\r\n]/.test(value)) throw new HttpRenderError(`header ${header} renders with a line break`);
    headers[header] = value;
  }
  const hasType = Object.keys(headers).some((h) => h.toLowerCase() === "content-type");
  let body: string | undefined;
  if (spec.body !== undefined && spec.method !== "GET") {
    if (typeof spec.body === "string") {
      body = renderTemplate(spec.body, ctx);
      if (!hasType) headers["Content-Type"] = "text/plain; charset=utf-8";
    } else {
      body = JSON.stringify(renderJson(spec.body, ctx));
      if (!hasType) headers["Content-Type"] = "application/json";
    }
    const bytes = new TextEncoder().encode(body).length;
    if (bytes > MAX_HTTP_BODY_BYTES)
      throw new HttpRenderError(`the request body renders to ${bytes} bytes (at most ${MAX_HTTP_BODY_BYTES})`);
  }
  return { method: spec.method, url, headers, ...(body !== undefined ? { body } : {}) };
}

function renderJson(value: unknown, ctx: TemplateContext): unknown {
  if (typeof value === "string") return renderTemplate(value, ctx);
  if (Array.isArray(value)) return value.map((v) => renderJson(v, ctx));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderJson(v, ctx)]));
  return value;
}
