import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { ApiAnswer } from "./api-call.js";

/** A problem+json body as far as a tool result reads it (RFC 9457 members and the `errors` extension). */
interface ProblemBody {
  title?: unknown;
  status?: unknown;
  detail?: unknown;
  errors?: unknown;
}

/**
 * The text of a refused request: `<title> (HTTP <status>): <detail>`, then one line per field error
 * (`- <pointer> [node <id>]: <detail>`), then the problem details as JSON, so a model reads the words and a program
 * the `type` URI.
 */
export function problemText(status: number, body: unknown): string {
  const p: ProblemBody = body !== null && typeof body === "object" ? (body as ProblemBody) : {};
  const title = typeof p.title === "string" ? p.title : "Request failed";
  const detail = typeof p.detail === "string" ? p.detail : "";
  const lines = [`${title} (HTTP ${status})${detail ? `: ${detail}` : ""}`];
  if (Array.isArray(p.errors)) {
    for (const e of p.errors as { pointer?: unknown; node?: unknown; detail?: unknown }[]) {
      const node = typeof e.node === "string" ? ` [node ${e.node}]` : "";
      lines.push(`- ${String(e.pointer ?? "")}${node}: ${String(e.detail ?? "")}`);
    }
  }
  lines.push(JSON.stringify(body));
  return lines.join("\n");
}

/**
 * The MCP tool result of an API answer: a 2xx body as JSON text and as `structuredContent`; anything else as
 * `isError: true` with {@link problemText} (MCP spec 2025-06-18, "Tools: error handling": a tool's own failure is a
 * result the model can read, not a protocol error).
 */
export function toolResult(answer: ApiAnswer): CallToolResult {
  if (!answer.ok) return { isError: true, content: [{ type: "text", text: problemText(answer.status, answer.body) }] };
  const structured =
    answer.body !== null && typeof answer.body === "object" && !Array.isArray(answer.body)
      ? { structuredContent: answer.body as Record<string, unknown> }
      : {};
  return { content: [{ type: "text", text: JSON.stringify(answer.body) }], ...structured };
}
