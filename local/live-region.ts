/**
 * A block of terminal lines redrawn in place (the demo's live todo list): each update moves the cursor up over the
 * previous frame and clears to the end of the screen before writing the new one. Plain ANSI/VT100 control
 * sequences (CSI n A cursor up, CSI 0 J erase below, CSI ?25 l/h hide/show cursor), no dependency.
 */

/** The part of a writable stream the region needs (e.g. `process.stdout`). */
export interface TerminalOut {
  write(chunk: string): unknown;
  /** Terminal height in lines, when known. */
  rows?: number;
}

/**
 * Keeps a frame within a terminal's height so the cursor-up redraw never scrolls past the top: frames taller than
 * `rows - 1` lines keep their first `rows - 2` lines and end with "… N more lines".
 * @param text the frame, lines separated by "\n".
 * @param rows terminal height in lines; undefined or < 3 leaves the frame as is.
 */
export function clipToRows(text: string, rows: number | undefined): string {
  if (rows === undefined || rows < 3) return text;
  const lines = text.split("\n");
  if (lines.length <= rows - 1) return text;
  const kept = lines.slice(0, rows - 2);
  kept.push(`… ${lines.length - kept.length} more lines`);
  return kept.join("\n");
}

/** Redraws one frame in place on a TTY. Call {@link LiveRegion.done} once to leave the last frame on screen. */
export class LiveRegion {
  readonly #out: TerminalOut;
  #height = 0;
  #cursorHidden = false;

  /** @param out the TTY to draw on. */
  constructor(out: TerminalOut) {
    this.#out = out;
  }

  /** Replaces the previous frame with `text` (clipped to the terminal height). */
  update(text: string): void {
    const frame = clipToRows(text, this.#out.rows);
    let chunk = this.#cursorHidden ? "" : "\x1b[?25l";
    this.#cursorHidden = true;
    if (this.#height > 0) chunk += `\x1b[${this.#height}A\r\x1b[0J`;
    chunk += `${frame}\n`;
    this.#out.write(chunk);
    this.#height = frame.split("\n").length;
  }

  /** Stops redrawing: the last frame stays, the cursor is shown again. Safe to call more than once. */
  done(): void {
    if (this.#cursorHidden) this.#out.write("\x1b[?25h");
    this.#cursorHidden = false;
    this.#height = 0;
  }
}
