/**
 * What a verified delivery means: its event (and whether the hook wants it), and the run input mapped from its
 * payload (hook-spec.ts `events`, `when`, `input`).
 */

import { pointer as buildPointer } from "../errors/json-pointer.js";
import type { ProblemFieldError } from "../errors/problem.js";
import { readPointer } from "../util/json-pointer-get.js";
import { HOOK_TEMPLATE_RE, type HookSpec } from "./hook-spec.js";

/**
 * The delivery's event: for `github`, `X-GitHub-Event` and the payload's `action` (e.g. `pull_request` +
 * `opened`); for `hmac-sha256`, the optional `X-Event-Type` header (no action).
 */
export function deliveryEvent(
  scheme: HookSpec["verify"],
  headers: { get(name: string): string | null },
  payload: unknown,
): { event: string | null; action: string | null } {
  const event = headers.get(scheme === "github" ? "x-github-event" : "x-event-type");
  const action =
    scheme === "github" && payload && typeof payload === "object" && !Array.isArray(payload)
      ? (payload as { action?: unknown }).action
      : undefined;
  return { event: event ?? null, action: typeof action === "string" ? action : null };
}

/**
 * Why a delivery is ignored, or null when it should start a run: GitHub's `ping` (sent when a hook is created) is
 * always ignored; with `events`, an event must be listed as `<event>` or `<event>.<action>`; every `when` pointer
 * must name a value equal to the expected scalar (or to one of the listed ones).
 */
export function ignoredBecause(
  spec: Pick<HookSpec, "verify" | "events" | "when">,
  delivery: { event: string | null; action: string | null },
  payload: unknown,
): string | null {
  const { event, action } = delivery;
  if (spec.verify === "github" && event === "ping") return "ping event";
  if (spec.events) {
    const wanted =
      event !== null &&
      (spec.events.includes(event) || (action !== null && spec.events.includes(`${event}.${action}`)));
    if (!wanted) return `event ${event === null ? "(none)" : action ? `${event}.${action}` : event} is not in events`;
  }
  for (const [ptr, expected] of Object.entries(spec.when ?? {})) {
    const read = readPointer(payload, ptr);
    const allowed = Array.isArray(expected) ? expected : [expected];
    if (!read.found || !allowed.some((x) => x === read.value)) return `when ${ptr} does not hold`;
  }
  return null;
}

/**
 * The run input of a delivery: the whole payload without `input`; else an object with one field per mapping: a
 * pointer takes the value it names (any JSON), a template replaces each `{{/pointer}}` with the value (a string as
 * is, anything else as JSON).
 * @returns the input, or the field errors of pointers the payload lacks (pointer `/input/<field>` into the hook, the
 *   detail naming the missing payload path).
 */
export function mapInput(
  input: HookSpec["input"],
  payload: unknown,
): { ok: true; input: unknown } | { ok: false; errors: ProblemFieldError[] } {
  if (!input) return { ok: true, input: payload };
  const out: Record<string, unknown> = {};
  const errors: ProblemFieldError[] = [];
  const missing = (field: string, ptr: string, at: string): void => {
    errors.push({
      pointer: buildPointer(["input", field]),
      detail: `the payload has no ${at}${at === ptr ? "" : ` (reading ${ptr})`}`,
    });
  };
  for (const [field, spec] of Object.entries(input)) {
    if (spec.startsWith("/")) {
      const read = readPointer(payload, spec);
      if (read.found) out[field] = read.value;
      else missing(field, spec, read.missing);
      continue;
    }
    let failed = false;
    const text = spec.replace(HOOK_TEMPLATE_RE, (_all, ptr: string) => {
      const read = readPointer(payload, ptr);
      if (!read.found) {
        missing(field, ptr, read.missing);
        failed = true;
        return "";
      }
      return typeof read.value === "string" ? read.value : JSON.stringify(read.value);
    });
    if (!failed) out[field] = text;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, input: out };
}
