/**
 * Request bodies at the trust boundary: one way to read a JSON body for every `/v1` route, so each answers bad
 * input alike: 400 `malformed-json` when it is not JSON, 422 `invalid-request` (nested deeper than the JSON depth
 * limit, shared/util/json-depth.ts) or 422 with one field error per zod issue (pointer and node) when it does not
 * match the route's schema. Size caps stay with each route's `bodyLimit`.
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";
import {
  invalidRequest,
  malformedJson,
  ProblemError,
  payloadTooLarge,
  problemResponse,
} from "../shared/errors/problem.js";
import { zodIssuesToFieldErrors } from "../shared/errors/zod-issues.js";
import { assertJsonDepth } from "../shared/util/json-depth.js";
import type { AppEnv } from "./app-env.js";

/**
 * Parses `text` as JSON and checks its depth; `emptyAs` is the value of an empty (or all-whitespace) body, when the
 * route allows one (e.g. `{}` for an action with optional fields).
 * @throws ProblemError 400 `malformed-json`, or 422 for a body nested too deep.
 */
export function parseJsonText(text: string, emptyAs?: unknown): unknown {
  if (emptyAs !== undefined && text.trim() === "") return emptyAs;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ProblemError(malformedJson());
  }
  // before anything recursive (zod, canonical JSON) walks it: a deep body would overflow the stack
  assertJsonDepth(raw);
  return raw;
}

/**
 * Parses `text` as JSON and validates it with `schema`.
 * @param opts.title the problem's title when the schema refuses (default "The request body is invalid").
 * @param opts.emptyAs the value of an empty body (default: an empty body is malformed JSON).
 * @returns the parsed value.
 * @throws ProblemError 400 `malformed-json`, or 422 naming each field the schema refused.
 */
export function parseJsonBody<T>(
  text: string,
  schema: z.ZodType<T>,
  opts: { title?: string; emptyAs?: unknown } = {},
): T {
  const parsed = schema.safeParse(parseJsonText(text, opts.emptyAs));
  if (!parsed.success) {
    throw new ProblemError(
      invalidRequest(opts.title ?? "The request body is invalid", { errors: zodIssuesToFieldErrors(parsed.error) }),
    );
  }
  return parsed.data;
}

/**
 * hono's `bodyLimit` for a `/v1` route: a body over `maxBytes` is answered 413 `payload-too-large` (problem+json
 * naming the limit) before it is read.
 */
export function jsonBodyLimit(maxBytes: number): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => problemResponse(payloadTooLarge(maxBytes, { instance: c.req.path })),
  });
}
