/**
 * The `http` block of an http node (`kind: "http"`, node-kinds.ts): one HTTP request QStash sends straight to an
 * operator-allowlisted endpoint (shared/http/), whose response becomes the node's output. `url`, every header value
 * and every string of `body` are templates (`{{input.x}}`, `{{nodes.a.output}}`, `{{nodes.a.output.field}}`); header
 * values may also read `{{secrets.NAME}}` (a name the operator lists in `HTTP_NODE_SECRETS`), filled in from the
 * worker's environment when the request is published and never stored with the run.
 */
import { z } from "zod";

/** Methods an http node may use (the ones QStash's `Upstash-Method` takes that carry a request or read a resource). */
export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** One of {@link HTTP_METHODS}. */
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Longest `url` template, in characters (2,048: the practical URL limit of browsers and most servers). */
export const MAX_HTTP_URL_CHARS = 2048;

/** Most headers one http node may set (ours). */
export const MAX_HTTP_HEADERS = 32;

/** Longest header value template, in characters (8 KiB: the usual server limit for one header line). */
export const MAX_HTTP_HEADER_CHARS = 8192;

/**
 * Largest request body an http node may send once rendered, in bytes (256 KiB, ours): QStash's callback repeats the
 * request body (`sourceBody`, base64) beside the response, and the callback must stay under the signed-body cap
 * (shared/http/http-limits.ts).
 */
export const MAX_HTTP_BODY_BYTES = 256 * 1024;

/** Header names: RFC 9110 tokens (`tchar`), 1..128 characters. */
export const HTTP_HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;

/**
 * Header names an http node may not set: hop-by-hop and transport headers (QStash and the runtime set them), and
 * `upstash-*`, which QStash would read as its own settings instead of forwarding.
 */
export function isReservedHeaderName(name: string): boolean {
  const n = name.toLowerCase();
  return (
    n.startsWith("upstash-") ||
    ["host", "content-length", "connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer"].includes(n)
  );
}

/**
 * An http node's request: `method` (default `POST`), `url` (a template; https, an allowlisted host: shared/http/
 * ssrf-guard.ts), `headers` (name → value template) and `body`: a string template sent as is (default content type
 * `text/plain`), or any JSON value whose strings are templates, sent as JSON (`application/json`).
 */
export const httpSpecSchema = z.strictObject({
  method: z.enum(HTTP_METHODS).default("POST"),
  url: z.string().min(1).max(MAX_HTTP_URL_CHARS),
  headers: z
    .record(
      z.string().regex(HTTP_HEADER_NAME_RE, { message: "header name must be an HTTP token of 1..128 characters" }),
      z.string().max(MAX_HTTP_HEADER_CHARS),
    )
    .superRefine((headers, ctx) => {
      const names = Object.keys(headers);
      if (names.length > MAX_HTTP_HEADERS)
        ctx.addIssue({ code: "custom", message: `an http node sets at most ${MAX_HTTP_HEADERS} headers` });
      for (const name of names)
        if (isReservedHeaderName(name))
          ctx.addIssue({ code: "custom", path: [name], message: `header "${name}" may not be set by an http node` });
    })
    .optional(),
  body: z.json().optional(),
});

/** A parsed {@link httpSpecSchema}. */
export type HttpSpec = z.output<typeof httpSpecSchema>;

/** The description an http node without a `prompt` gets: `"<METHOD> <url template>"` (never rendered). */
export function httpDescription(spec: Pick<HttpSpec, "method" | "url">): string {
  return `${spec.method} ${spec.url}`;
}
