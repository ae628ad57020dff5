import type { Client } from "@upstash/qstash";
import type { HttpCallMessage, HttpCallPublisher } from "./http-call.js";

/**
 * Publishes an http node's call with `@upstash/qstash` `publish`: the destination is the rendered URL, the headers go
 * as `Upstash-Forward-*` (the client prefixes every header but `Content-Type` and `Upstash-*`), the method as
 * `Upstash-Method`, and the callbacks, retries, timeout, deduplication id, label and flow control as their
 * `Upstash-*` headers (docs/upstash-protocols.md B2).
 */
export class QStashHttpPublisher implements HttpCallPublisher {
  /** @param client a QStash client (real or the local emulator's URL). */
  constructor(private readonly client: Pick<Client, "publish">) {}

  async publish(call: HttpCallMessage): Promise<void> {
    const { request } = call;
    await this.client.publish({
      url: request.url,
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      callback: call.callbackUrl,
      failureCallback: call.failureCallbackUrl,
      retries: call.retries,
      timeout: call.timeoutSeconds,
      deduplicationId: call.deduplicationId,
      label: call.label,
      flowControl: call.flowControl,
    });
  }
}
