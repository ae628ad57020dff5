import { describe, expect, it } from "vitest";
import { clipToRows, LiveRegion } from "../../../local/live-region";

function fakeTty(rows?: number) {
  const chunks: string[] = [];
  return { out: { rows, write: (c: string) => chunks.push(c) }, chunks };
}

describe("LiveRegion", () => {
  it("draws, then moves up over the previous frame and clears before redrawing", () => {
    const { out, chunks } = fakeTty();
    const region = new LiveRegion(out);
    region.update("a\nb");
    region.update("c\nd\ne");
    region.done();
    region.done();
    expect(chunks).toEqual(["\x1b[?25la\nb\n", "\x1b[2A\r\x1b[0Jc\nd\ne\n", "\x1b[?25h"]);
  });

  it("clips frames taller than the terminal so the redraw never scrolls", () => {
    expect(clipToRows("1\n2\n3\n4\n5", 4)).toBe("1\n2\n… 3 more lines");
    expect(clipToRows("1\n2\n3", 4)).toBe("1\n2\n3");
    expect(clipToRows("1\n2\n3\n4\n5", undefined)).toBe("1\n2\n3\n4\n5");
    const { out, chunks } = fakeTty(4);
    const region = new LiveRegion(out);
    region.update("1\n2\n3\n4\n5");
    region.update("x");
    expect(chunks[1]).toBe("\x1b[3A\r\x1b[0Jx\n");
  });
});
