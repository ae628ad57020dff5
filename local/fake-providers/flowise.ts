import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { bearerToken, closeServer, listen, readBody, sendJson } from "../http-util.js";

/**
 * A fake Flowise prediction endpoint, the target of http nodes in tests and the bundled example
 * (workflows/flowise-ask.json): `POST /api/v1/prediction/:chatflowId` with `{question, …}` and
 * `Authorization: Bearer <key>` answers Flowise's documented prediction shape
 * (docs.flowiseai.com/api-reference/prediction: `{text, question, chatId, chatMessageId, sessionId}`), with a `text`
 * that says it is fake: `[FAKE FLOWISE <chatflowId>] answer to: <question>`. A wrong or missing key answers 401
 * `{message: "Unauthorized Access"}`; a body without a string `question` answers 400.
 */
export interface FakeFlowise {
  /** Origin, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Requests received so far (copies), in order. */
  calls(): FakeFlowiseCall[];
  /** Answer the next `times` requests with `status` (default 500) and a JSON error body, before answering normally. */
  failNext(times: number, status?: number): void;
  /** Pad every answer's `text` with `x` up to `bytes` (0: no padding), for tests of response size limits. */
  padText(bytes: number): void;
  /** Forget the calls, pending failures and padding. */
  reset(): void;
  close(): Promise<void>;
}

/** One request the fake received. */
export interface FakeFlowiseCall {
  method: string;
  path: string;
  /** Request headers, lower-case names. */
  headers: Record<string, string>;
  /** The body as text. */
  body: string;
}

/** Largest request body read, in bytes (1 MiB: far above any test's). */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Starts the fake on `127.0.0.1:port` (0 = ephemeral).
 * @param opts.apiKey the Bearer key every request must carry.
 */
export async function startFakeFlowise(opts: { port?: number; apiKey: string }): Promise<FakeFlowise> {
  let calls: FakeFlowiseCall[] = [];
  let failures: { times: number; status: number } = { times: 0, status: 500 };
  let padTo = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = (await readBody(req, MAX_BODY_BYTES)).toString("utf8");
    const path = (req.url ?? "/").split("?")[0] as string;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : (v ?? "");
    calls.push({ method: req.method ?? "GET", path, headers, body });
    const m = /^\/api\/v1\/prediction\/([A-Za-z0-9_-]+)$/.exec(path);
    if (!m || req.method !== "POST") return sendJson(res, 404, { message: `no route ${req.method} ${path}` });
    if (bearerToken(req) !== opts.apiKey) return sendJson(res, 401, { message: "Unauthorized Access" });
    if (failures.times > 0) {
      failures = { ...failures, times: failures.times - 1 };
      return sendJson(res, failures.status, { message: "fake Flowise failure" });
    }
    let question: unknown;
    try {
      question = (JSON.parse(body) as { question?: unknown }).question;
    } catch {
      question = undefined;
    }
    if (typeof question !== "string") return sendJson(res, 400, { message: "question is required" });
    const chatflowId = m[1] as string;
    const text = `[FAKE FLOWISE ${chatflowId}] answer to: ${question}`;
    sendJson(res, 200, {
      text: text.padEnd(padTo, "x"),
      question,
      chatId: randomUUID(),
      chatMessageId: randomUUID(),
      sessionId: randomUUID(),
    });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { message: String(err) });
    });
  });
  const port = await listen(server, "127.0.0.1", opts.port ?? 0);
  return {
    url: `http://127.0.0.1:${port}`,
    calls: () => calls.map((c) => ({ ...c, headers: { ...c.headers } })),
    failNext(times, status = 500) {
      failures = { times, status };
    },
    padText(bytes) {
      padTo = bytes;
    },
    reset() {
      calls = [];
      failures = { times: 0, status: 500 };
      padTo = 0;
    },
    close: () => closeServer(server),
  };
}
