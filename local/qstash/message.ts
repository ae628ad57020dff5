/**
 * Lifecycle states of a message (docs/upstash-protocols.md B4 "Log / event" states; CANCELLED spelled as the docs do).
 */
export type MessageState = "CREATED" | "ACTIVE" | "RETRY" | "DELIVERED" | "FAILED" | "CANCELLED";

/** What a record is: a published message, or a callback / failure callback derived from one (B8). */
export type MessageKind = "message" | "callback" | "failure-callback";

/** Where and how to call a callback or failure callback (from `Upstash-(Failure-)Callback-*` headers, B2). */
export interface CallbackSpec {
  /** Callback URL. */
  url: string;
  /** HTTP method, default POST. */
  method: string;
  /** Headers sent to the callback, from `Upstash-(Failure-)Callback-Forward-*` with the prefix removed. */
  headers: Record<string, string>;
  /** Override of the source message's retries. */
  retries?: number;
  /** Override of the source message's per-attempt timeout, in ms. */
  timeoutMs?: number;
  /** Override of the source message's `Upstash-Retry-Delay` expression (ms). */
  retryDelayExpression?: string;
  /** Delay before the callback is sent, in ms. */
  delayMs?: number;
}

/** Flow-control settings carried by a message (`Upstash-Flow-Control-Key` / `-Value`, B2, B5). */
export interface FlowControlSpec {
  /** The flow-control key. */
  key: string;
  /** Maximum concurrent in-flight deliveries for the key; undefined = unlimited. */
  parallelism?: number;
  /** Maximum deliveries started per period; undefined = unlimited. */
  rate?: number;
  /** Rate period in ms (default 1000). */
  periodMs: number;
}

/** One message held by the emulator (published message or callback), with its mutable delivery state. */
export interface MessageRecord {
  /** `msg_...` id, sent as `Upstash-Message-Id`. */
  readonly id: string;
  readonly kind: MessageKind;
  /** Destination URL, exactly as published (B1). */
  readonly url: string;
  /** HTTP method (`Upstash-Method`, default POST). */
  readonly method: string;
  /** Body bytes, delivered unmodified. */
  readonly body: Buffer;
  /** Content-Type to send, if any. */
  readonly contentType?: string;
  /** Forwarded headers with the `Upstash-Forward-` prefix removed (lower-case names). */
  readonly forwardHeaders: Record<string, string>;
  /** Retries after the first attempt (`Upstash-Retries`, default 3). */
  readonly maxRetries: number;
  /** `Upstash-Retry-Delay` expression (ms, variable `retried`). */
  readonly retryDelayExpression?: string;
  /** Per-attempt timeout in ms. */
  readonly timeoutMs: number;
  readonly callback?: CallbackSpec;
  readonly failureCallback?: CallbackSpec;
  readonly flowControl?: FlowControlSpec;
  /** Labels from `Upstash-Label` (comma list). */
  readonly labels: string[];
  /** Earliest delivery time, unix ms. */
  readonly notBefore: number;
  /** Creation time, unix ms. */
  readonly createdAt: number;
  /** IP address of the publisher. */
  readonly callerIp: string;
  /** For callbacks: the message the callback reports on. */
  readonly sourceMessageId?: string;
  /** For a schedule's firing: the schedule's id, sent as `Upstash-Schedule-Id` (B5). */
  readonly scheduleId?: string;
  /** Retries done so far (0 before and during the first attempt); sent as `Upstash-Retried`. */
  retried: number;
  state: MessageState;
}

/** The `header` map of a message view: forwarded headers plus Content-Type, values as arrays (B4). */
export function headerView(rec: Pick<MessageRecord, "forwardHeaders" | "contentType">): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(rec.forwardHeaders)) out[canonicalHeaderName(k)] = [v];
  if (rec.contentType !== undefined) out["Content-Type"] = [rec.contentType];
  return out;
}

/** `x-custom-header` -> `X-Custom-Header` (Go's canonical MIME header form, as QStash reports headers). */
export function canonicalHeaderName(name: string): string {
  return name
    .split("-")
    .map((p) => (p ? p[0]!.toUpperCase() + p.slice(1).toLowerCase() : p))
    .join("-");
}

/** `body` (valid UTF-8 text) or `bodyBase64` (anything else), as message views carry bodies (B4). */
export function bodyView(body: Buffer, field = "body"): Record<string, string> {
  const text = body.toString("utf8");
  if (Buffer.from(text, "utf8").equals(body)) return { [field]: text };
  return { [`${field}Base64`]: body.toString("base64") };
}

/** JSON shape of `GET /v2/messages/{id}` (docs/upstash-protocols.md B4 "Message"). */
export type MessageView = Record<string, unknown>;

/** Builds the B4 Message object for `rec`. */
export function messageView(rec: MessageRecord): MessageView {
  const view: MessageView = {
    messageId: rec.id,
    url: rec.url,
    method: rec.method,
    header: headerView(rec),
    ...bodyView(rec.body),
    maxRetries: rec.maxRetries,
    notBefore: rec.notBefore,
    createdAt: rec.createdAt,
    callerIP: rec.callerIp,
  };
  if (rec.retryDelayExpression !== undefined) view["retryDelayExpression"] = rec.retryDelayExpression;
  if (rec.scheduleId !== undefined) view["scheduleId"] = rec.scheduleId;
  if (rec.callback) {
    view["callback"] = rec.callback.url;
    view["callbackHeader"] = arrayValues(rec.callback.headers);
  }
  if (rec.failureCallback) {
    view["failureCallback"] = rec.failureCallback.url;
    view["failureCallbackHeader"] = arrayValues(rec.failureCallback.headers);
  }
  if (rec.flowControl) {
    view["flowControlKey"] = rec.flowControl.key;
    if (rec.flowControl.parallelism !== undefined) view["parallelism"] = rec.flowControl.parallelism;
    if (rec.flowControl.rate !== undefined) view["rate"] = rec.flowControl.rate;
    view["period"] = rec.flowControl.periodMs / 1000;
  }
  if (rec.labels.length > 0) {
    view["label"] = rec.labels[0];
    view["labels"] = rec.labels;
  }
  return view;
}

/** A header map with each value as a one-element list, names in canonical form (as QStash reports headers, B4). */
export function arrayValues(headers: Record<string, string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers)) out[canonicalHeaderName(k)] = [v];
  return out;
}
