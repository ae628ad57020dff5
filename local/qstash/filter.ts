/**
 * The query of a bulk action (docs/upstash-protocols.md B3): `DELETE /v2/messages` (cancel), `GET /v2/dlq`
 * (list), `DELETE /v2/dlq` (delete) and `POST /v2/dlq/retry` (retry).
 *
 * Filters shared by both: `url`, `topicName`, `queueName`, `scheduleId`, `label`, `flowControlKey`, `callerIp`
 * (also spelled `callerIP`), `fromDate`/`toDate` (unix ms, inclusive, on the message's `createdAt`). Bulk cancel
 * adds `host`, `path` and `messageIds`; the DLQ adds `messageId`, `responseStatus`, `dlqIds` and `cursor`.
 * Repeated keys or comma lists mean OR, different keys AND; `messageIds`/`dlqIds` replace every other filter.
 * Local messages have no URL group, queue or schedule, so those three filters match nothing.
 *
 * `count` caps how many entries the action touches, oldest first: the QStash API reference ("maximum number of
 * messages to delete; if not provided, all messages matching the filters") and qstash-js's live tests (`count: 1`
 * cancels 1) say so for bulk cancel too, although the 2.12 client's JSDoc calls it ignored there. A bulk cancel
 * without `count` touches every match; a DLQ action by filter defaults to {@link DEFAULT_DLQ_COUNT}; an id list
 * has no default cap. A key the endpoint does not know (`labeel`), an empty value, or a malformed number or
 * cursor is refused with 400, so a typo can never widen an action to "everything".
 */
import type { MessageRecord } from "./message.js";

/** Which bulk endpoint a query is for; each accepts its own set of keys. */
export type BulkEndpoint = "messages" | "dlq";

/** A parsed bulk query: what to touch, at most how many, and where to resume. */
export interface BulkQuery {
  filter: MessageFilter;
  /** Most entries to touch; undefined = no limit (bulk cancel without `count`). */
  count?: number;
  /** Resume after this dlqId (DLQ only); undefined = from the oldest. */
  cursor?: string;
}

/** A predicate over messages, and over dead letters when `extra` carries the DLQ fields. */
export interface MessageFilter {
  /** True when no filter key was given (the `all: true` form, or no query at all). */
  all: boolean;
  /** Does `rec` match every given filter? */
  matches(rec: MessageRecord, extra?: DeadLetterFields): boolean;
}

/** The DLQ-only fields a filter can test: the entry's id and the last attempt's status (0 without a response). */
export interface DeadLetterFields {
  dlqId: string;
  responseStatus: number;
}

/** Outcome of {@link parseBulkQuery}: the query, or the reason it was refused (answered with 400). */
export type BulkQueryResult = { ok: true; query: BulkQuery } | { ok: false; error: string };

const SHARED = [
  "url",
  "topicName",
  "queueName",
  "scheduleId",
  "label",
  "flowControlKey",
  "callerIp",
  "callerIP",
  "fromDate",
  "toDate",
  "count",
] as const;
/** Filter keys per endpoint, from the 2.12 client's filter types and the QStash API reference. */
const KEYS: Record<BulkEndpoint, ReadonlySet<string>> = {
  messages: new Set([...SHARED, "messageIds", "host", "path"]),
  dlq: new Set([...SHARED, "dlqIds", "messageId", "responseStatus", "cursor"]),
};
/** Authentication, not a filter (`?qstash_token=`). */
const AUTH_PARAM = "qstash_token";
const INTEGER = /^\d+$/;
const DLQ_ID = /^\d+-\d+$/;

/** `count` of a DLQ list/delete/retry by filter that sends none (the value the 2.12 client sends by default). */
export const DEFAULT_DLQ_COUNT = 100;

/** Parses the raw query string (without `?`) of a bulk action on `endpoint`; see the module header for rules. */
export function parseBulkQuery(query: string, endpoint: BulkEndpoint): BulkQueryResult {
  const params = new URLSearchParams(query);
  const values = new Map<string, string[]>();
  for (const [key, raw] of params) {
    if (key === AUTH_PARAM) continue;
    if (!KEYS[endpoint].has(key)) return refuse(`unknown query parameter for ${endpointName(endpoint)}: ${key}`);
    if (split([raw]).length === 0) return refuse(`query parameter ${key} has an empty value`);
    const name = key === "callerIP" ? "callerIp" : key;
    values.set(name, [...(values.get(name) ?? []), raw]);
  }
  const byIds = values.has("messageIds") || values.has("dlqIds");
  let count: number | undefined = endpoint === "dlq" && !byIds ? DEFAULT_DLQ_COUNT : undefined;
  const countValues = values.get("count");
  if (countValues) {
    const n = Number(countValues.at(-1));
    if (!INTEGER.test(countValues.at(-1)!.trim()) || n < 1) return refuse("count must be a positive integer");
    count = n;
  }
  const cursorValue = values.get("cursor")?.at(-1)?.trim();
  if (cursorValue !== undefined && !DLQ_ID.test(cursorValue)) return refuse(`invalid cursor: ${cursorValue}`);
  for (const key of ["fromDate", "toDate", "responseStatus"]) {
    for (const v of split(values.get(key))) if (!INTEGER.test(v)) return refuse(`${key} must be an integer, got ${v}`);
  }
  values.delete("count");
  values.delete("cursor");
  return { ok: true, query: { filter: buildFilter(values), count, cursor: cursorValue } };
}

function buildFilter(values: Map<string, string[]>): MessageFilter {
  const ids = values.get("messageIds") ?? values.get("dlqIds");
  // messageIds / dlqIds: "if provided, other filters are ignored" (QStash API reference).
  const given = ids ? new Map([[values.has("messageIds") ? "messageIds" : "dlqIds", ids]]) : values;
  const anyOf = (key: string, actual: string | undefined): boolean => {
    const wanted = given.get(key);
    if (wanted === undefined) return true;
    return actual !== undefined && (wanted.includes(actual) || split(wanted).includes(actual));
  };
  const from = given.has("fromDate") ? Number(split(given.get("fromDate")).at(-1)) : undefined;
  const to = given.has("toDate") ? Number(split(given.get("toDate")).at(-1)) : undefined;
  return {
    all: given.size === 0,
    matches(rec, extra) {
      const u = safeUrl(rec.url);
      const wantedLabels = given.get("label");
      return (
        anyOf("messageIds", rec.id) &&
        anyOf("dlqIds", extra?.dlqId) &&
        anyOf("messageId", rec.id) &&
        anyOf("url", rec.url) &&
        anyOf("host", u?.host) &&
        anyOf("path", u?.pathname) &&
        (wantedLabels === undefined || rec.labels.some((l) => anyOf("label", l))) &&
        anyOf("flowControlKey", rec.flowControl?.key) &&
        anyOf("callerIp", rec.callerIp) &&
        anyOf("responseStatus", extra === undefined ? undefined : String(extra.responseStatus)) &&
        anyOf("topicName", undefined) &&
        anyOf("queueName", undefined) &&
        anyOf("scheduleId", rec.scheduleId) &&
        (from === undefined || rec.createdAt >= from) &&
        (to === undefined || rec.createdAt <= to)
      );
    },
  };
}

/** Every value of a repeated key, each also split at commas (`label=a,b` = `label=a&label=b`). */
function split(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

function refuse(error: string): BulkQueryResult {
  return { ok: false, error };
}

function endpointName(endpoint: BulkEndpoint): string {
  return endpoint === "messages" ? "/v2/messages" : "/v2/dlq";
}

function safeUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}
