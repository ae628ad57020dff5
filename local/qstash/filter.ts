import type { MessageRecord } from "./message.js";

/**
 * Bulk-action filter from a query string (upstash-protocols.md B3 `messages.cancel({filter})`): `messageIds`,
 * `url`, `host`, `path`, `label`, `flowControlKey`, `callerIp`, `fromDate`/`toDate` (ms, on `createdAt`),
 * `topicName`/`queueName`/`scheduleId` (never set on local messages, so they match nothing). Repeated keys or
 * comma lists mean OR; different keys mean AND. `count` and `cursor` are ignored. No filter at all = everything.
 */
export interface MessageFilter {
  /** True when no filter key was given (the `cancel({all: true})` form). */
  all: boolean;
  /** Does `rec` match every given filter? */
  matches(rec: MessageRecord, extra?: { dlqId?: string }): boolean;
}

const KEYS = [
  "messageIds",
  "dlqIds",
  "url",
  "host",
  "path",
  "label",
  "flowControlKey",
  "callerIp",
  "fromDate",
  "toDate",
  "topicName",
  "queueName",
  "scheduleId",
] as const;

/** Parses a {@link MessageFilter} from `query` (the raw query string without `?`). */
export function parseFilter(query: string): MessageFilter {
  const params = new URLSearchParams(query);
  const values = new Map<string, string[]>();
  for (const key of KEYS) {
    const vs = params
      .getAll(key)
      .flatMap((v) => v.split(","))
      .map((v) => v.trim())
      .filter(Boolean);
    if (vs.length > 0) values.set(key, vs);
  }
  const one = (k: string): string[] | undefined => values.get(k);
  return {
    all: values.size === 0,
    matches(rec, extra) {
      const u = safeUrl(rec.url);
      const checks: Array<[string, (v: string[]) => boolean]> = [
        ["messageIds", (v) => v.includes(rec.id)],
        ["dlqIds", (v) => extra?.dlqId !== undefined && v.includes(extra.dlqId)],
        ["url", (v) => v.includes(rec.url)],
        ["host", (v) => u !== undefined && v.includes(u.host)],
        ["path", (v) => u !== undefined && v.includes(u.pathname)],
        ["label", (v) => rec.labels.some((l) => v.includes(l))],
        ["flowControlKey", (v) => rec.flowControl !== undefined && v.includes(rec.flowControl.key)],
        ["callerIp", (v) => v.includes(rec.callerIp)],
        ["fromDate", (v) => rec.createdAt >= Number(v[0])],
        ["toDate", (v) => rec.createdAt <= Number(v[0])],
        ["topicName", () => false],
        ["queueName", () => false],
        ["scheduleId", () => false],
      ];
      return checks.every(([k, test]) => {
        const v = one(k);
        return v === undefined || test(v);
      });
    },
  };
}

function safeUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}
