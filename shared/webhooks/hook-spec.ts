/**
 * zod schema of a webhook (`POST /v1/hooks`, `PUT /v1/hooks/:id`): which workflow a verified delivery starts, how
 * its signature is checked, which deliveries count, and how the payload becomes the run input.
 */
import { z } from "zod";
import { WORKFLOW_NAME_RE } from "../schema/workflow.js";
import { JSON_POINTER_RE } from "../util/json-pointer-get.js";

/** Signature schemes: GitHub's `X-Hub-Signature-256`, or the generic timestamped HMAC-SHA256 (signature.ts). */
export const HOOK_VERIFY_SCHEMES = ["github", "hmac-sha256"] as const;

/** One of {@link HOOK_VERIFY_SCHEMES}. */
export type HookVerifyScheme = (typeof HOOK_VERIFY_SCHEMES)[number];

/** Shortest hook secret, characters (ours: a floor against guessable secrets; GitHub asks for "a random string with
 * high entropy", e.g. `openssl rand -hex 32`). Longest: 256. */
export const MIN_HOOK_SECRET_CHARS = 16;

/** Placeholder of a template value of `input`: `{{/json/pointer}}`. */
export const HOOK_TEMPLATE_RE = /\{\{(\/[^}]*)\}\}/g;

/** Event name: GitHub's event, optionally `.action` (e.g. `pull_request`, `pull_request.opened`). */
const eventSchema = z
  .string()
  .regex(/^[a-z0-9_]{1,64}(\.[a-z0-9_]{1,64})?$/, { message: "event must be <event> or <event>.<action>" });

const pointerSchema = z.string().max(512).regex(JSON_POINTER_RE, { message: "must be a JSON pointer (RFC 6901)" });

const scalar = z.union([z.string().max(512), z.number(), z.boolean(), z.null()]);

/** An `input` value: a JSON pointer (starts with `/`) or a template with `{{/pointer}}` placeholders. */
const mappingValueSchema = z
  .string()
  .max(4096)
  .superRefine((v, ctx) => {
    if (v.startsWith("/")) {
      if (!JSON_POINTER_RE.test(v)) ctx.addIssue({ code: "custom", message: "must be a JSON pointer (RFC 6901)" });
      return;
    }
    for (const m of v.matchAll(HOOK_TEMPLATE_RE)) {
      if (!JSON_POINTER_RE.test(m[1] as string))
        ctx.addIssue({ code: "custom", message: `placeholder {{${m[1]}}} is not a JSON pointer (RFC 6901)` });
    }
  });

/**
 * A hook: `workflow` (a name in the tenant's registry or bundled) and optional pinned `version`; `verify` and
 * `secret` ({@link MIN_HOOK_SECRET_CHARS}..256 characters); `events` (deliveries of other events are ignored; absent:
 * every event but GitHub's `ping`); `when` (pointer → expected scalar, or a list of allowed scalars; every entry must
 * hold); `input` (run input field → pointer or template; absent: the whole payload is the input). At most 32
 * events, 16 `when` entries and 64 `input` fields.
 */
export const hookSpecSchema = z.strictObject({
  workflow: z.string().regex(WORKFLOW_NAME_RE, { message: "workflow name must match /^[a-z0-9][a-z0-9-]{0,63}$/" }),
  version: z.number().int().min(1).optional(),
  verify: z.enum(HOOK_VERIFY_SCHEMES),
  secret: z.string().min(MIN_HOOK_SECRET_CHARS).max(256),
  events: z.array(eventSchema).min(1).max(32).optional(),
  when: z
    .record(pointerSchema, z.union([scalar, z.array(scalar).min(1).max(32)]))
    .refine((r) => Object.keys(r).length <= 16, { message: "at most 16 conditions" })
    .optional(),
  input: z
    .record(z.string().min(1).max(64), mappingValueSchema)
    .refine((r) => Object.keys(r).length <= 64, { message: "at most 64 input fields" })
    .optional(),
});

/** A parsed hook body. */
export type HookSpec = z.output<typeof hookSpecSchema>;

/** Hook id: `hk_` + 32 lowercase hex (128 random bits), made by the server on create. */
export const HOOK_ID_RE = /^hk_[0-9a-f]{32}$/;
