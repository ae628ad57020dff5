/**
 * A stored output read back as a value: its JSON value when the text is JSON (a structured output, an http
 * response), else the text itself (a plain answer).
 */
export function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
