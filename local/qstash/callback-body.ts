import type { AttemptOutcome } from "./delivery.js";
import { canonicalHeaderName, headerView, type MessageRecord } from "./message.js";

/**
 * JSON body of a callback or failure callback (docs/upstash-protocols.md B8). `body` and `sourceBody` are standard
 * base64; `header` holds the destination's response headers; `notBefore`/`createdAt` are numbers (ms) as in
 * the SDK skills doc (B8 flags strings vs numbers as unsettled); `dlqId` only on failure callbacks.
 */
export interface CallbackBody {
  status: number;
  header: Record<string, string[]>;
  body: string;
  retried: number;
  maxRetries: number;
  sourceMessageId: string;
  url: string;
  method: string;
  sourceHeader: Record<string, string[]>;
  sourceBody: string;
  notBefore: number;
  createdAt: number;
  callerIP: string;
  dlqId?: string;
}

/**
 * Builds the B8 body reporting attempt `outcome` of `source`. An attempt without an HTTP response (connection
 * error, timeout) reports status 0, no headers and an empty body.
 * @param dlqId set for a failure callback.
 */
export function callbackBody(source: MessageRecord, outcome: AttemptOutcome, dlqId?: string): CallbackBody {
  const header: Record<string, string[]> = {};
  if (outcome.kind === "response") {
    for (const [k, v] of Object.entries(outcome.headers)) header[canonicalHeaderName(k)] = v;
  }
  const out: CallbackBody = {
    status: outcome.kind === "response" ? outcome.status : 0,
    header,
    body: outcome.kind === "response" ? outcome.body.toString("base64") : "",
    retried: source.retried,
    maxRetries: source.maxRetries,
    sourceMessageId: source.id,
    url: source.url,
    method: source.method,
    sourceHeader: headerView(source),
    sourceBody: source.body.toString("base64"),
    notBefore: source.notBefore,
    createdAt: source.createdAt,
    callerIP: source.callerIp,
  };
  if (dlqId !== undefined) out.dlqId = dlqId;
  return out;
}
