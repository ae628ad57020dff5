import { describe, expect, it } from "vitest";
import { escapeXml, renderChart } from "../../../local/bench/svg-chart.js";

const count = (svg: string, re: RegExp) => (svg.match(re) ?? []).length;

describe("renderChart", () => {
  const groups = [
    { label: "viralrecon", barrier: 2.59, values: { eager: 1.05, levels: 2.6, langgraph: 2.62, sequential: 5.4 } },
    { label: "a<b>&c", barrier: null, values: { eager: 1.1, levels: null, langgraph: null, sequential: null } },
  ];
  const svg = renderChart(groups, { title: "T & t", subtitle: "2 CPUs" });

  it("draws one bar per measured value, a dash for each missing one, and a barrier tick per group that has one", () => {
    expect(count(svg, /<rect x="\d[^"]*" y="[^"]+" width="12"/g)).toBe(5);
    expect(count(svg, />–<\/text>/g)).toBe(3);
    expect(count(svg, /level-barrier \/ critical path: 2\.59/g)).toBe(1);
  });

  it("cuts bars above the cap and labels them with their value", () => {
    expect(svg).toContain(">5.4</text>");
    expect(svg).not.toContain(">2.6</text>");
  });

  it("escapes text and produces a single well-formed svg element", () => {
    expect(svg).toContain("a&lt;b&gt;&amp;c");
    expect(svg).toContain("T &amp; t");
    expect(svg.startsWith("<svg ")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(count(svg, /<text/g)).toBe(count(svg, /<\/text>/g));
    expect(count(svg, /<title>/g)).toBe(count(svg, /<\/title>/g));
  });

  it("escapes quotes for attributes", () => {
    expect(escapeXml(`"x" <y>`)).toBe("&quot;x&quot; &lt;y&gt;");
  });

  it("places the 1.0 critical-path line at the right height for the axis range", () => {
    // Axis 0..3 over 260 px starting at y=64: 1.0 sits at 64 + 260 − 260/3.
    expect(svg).toContain(
      `y1="${(64 + 260 - 260 / 3).toFixed(1)}" y2="${(64 + 260 - 260 / 3).toFixed(1)}" stroke="#d62728"`,
    );
  });
});
