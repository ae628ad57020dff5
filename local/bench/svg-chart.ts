/**
 * The benchmark chart: makespan / critical path per workload (groups) and executor (bars), as a self-contained
 * SVG string (no chart library). A dashed line marks 1.0 (the critical path, the floor no scheduler beats); a
 * short dark tick on each group marks the level-barrier figure of its shape. Bars above the axis cap are cut,
 * drawn with a break and labelled with their value.
 */

/** One bar series: its label and fill colour (any SVG colour). */
export interface ChartSeries {
  key: string;
  label: string;
  color: string;
}

/** One group: the workload name, its value per series key (null = not run) and the level-barrier ratio. */
export interface ChartGroup {
  label: string;
  values: Record<string, number | null>;
  barrier: number | null;
}

/** The series the benchmark draws, in bar order. */
export const DEFAULT_SERIES: ChartSeries[] = [
  { key: "eager", label: "agent-dag eager", color: "#2f7ed8" },
  { key: "levels", label: "agent-dag levels (barrier)", color: "#f28f43" },
  { key: "langgraph", label: "LangGraph.js supersteps", color: "#8bbc21" },
  { key: "sequential", label: "agent-dag sequential", color: "#aaaaaa" },
];

/** Escapes text for SVG/XML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * Renders the chart.
 * @param groups one per workload, left to right.
 * @param opts.title chart title; `subtitle` a second line (e.g. machine and date); `cap` the largest y value drawn
 *   (default 3: sequential ratios of 5-50 would flatten everything else); `series` bar series (default
 *   {@link DEFAULT_SERIES}).
 * @returns an SVG document (UTF-8 text), width grows with the number of groups.
 */
export function renderChart(
  groups: readonly ChartGroup[],
  opts: { title: string; subtitle?: string; cap?: number; series?: readonly ChartSeries[] },
): string {
  const series = opts.series ?? DEFAULT_SERIES;
  const cap = opts.cap ?? 3;
  const values = groups.flatMap((g) => [...series.map((s) => g.values[s.key] ?? 0), g.barrier ?? 0]);
  const yMax = Math.min(cap, Math.max(1.5, Math.ceil(Math.max(0, ...values) * 2) / 2));
  const bar = 14;
  const groupWidth = series.length * bar + 22;
  const left = 56;
  const top = 64;
  const plotH = 260;
  const legendWidth =
    left + series.reduce((w, s) => w + 14 + s.label.length * 6 + 16, 0) + (18 + 25 * 6 + 16) + (18 + 13 * 6) + 20;
  const width = Math.max(left + Math.max(1, groups.length) * groupWidth + 20, legendWidth);
  const legendY = top + plotH + 58;
  const height = legendY + 22;
  const y = (v: number) => top + plotH - (Math.min(v, yMax) / yMax) * plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="bold">${escapeXml(opts.title)}</text>`,
  );
  if (opts.subtitle) out.push(`<text x="${left}" y="40" fill="#555555">${escapeXml(opts.subtitle)}</text>`);
  for (let v = 0; v <= yMax + 1e-9; v += 0.5) {
    const yy = y(v).toFixed(1);
    out.push(
      `<line x1="${left}" x2="${width - 20}" y1="${yy}" y2="${yy}" stroke="#e5e5e5"/>`,
      `<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#555555">${v.toFixed(1)}</text>`,
    );
  }
  out.push(
    `<text x="14" y="${top + plotH / 2}" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle" fill="#333333">makespan / critical path</text>`,
  );
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupWidth + 11;
    series.forEach((s, si) => {
      const v = g.values[s.key];
      const x = x0 + si * bar;
      if (v === null || v === undefined) {
        out.push(
          `<text x="${x + bar / 2}" y="${top + plotH - 3}" text-anchor="middle" fill="#999999" font-size="9">–</text>`,
        );
        return;
      }
      const yy = y(v);
      out.push(
        `<rect x="${x}" y="${yy.toFixed(1)}" width="${bar - 2}" height="${(top + plotH - yy).toFixed(1)}" fill="${s.color}"><title>${escapeXml(`${g.label} ${s.label}: ${v.toFixed(2)}`)}</title></rect>`,
      );
      if (v > yMax) {
        out.push(
          `<path d="M${x - 1} ${yy + 8} l${bar} -4 M${x - 1} ${yy + 12} l${bar} -4" stroke="#ffffff" stroke-width="2"/>`,
          `<text x="${x + bar / 2 - 1}" y="${yy - 4}" text-anchor="middle" font-size="9" fill="#333333">${v.toFixed(1)}</text>`,
        );
      }
    });
    if (g.barrier !== null) {
      const yy = y(g.barrier).toFixed(1);
      out.push(
        `<line x1="${x0 - 4}" x2="${x0 + series.length * bar + 2}" y1="${yy}" y2="${yy}" stroke="#222222" stroke-width="2"><title>${escapeXml(`${g.label} level-barrier / critical path: ${g.barrier.toFixed(2)}`)}</title></line>`,
      );
    }
    const lx = x0 + (series.length * bar) / 2;
    out.push(
      `<text x="${lx}" y="${top + plotH + 14}" text-anchor="end" transform="rotate(-30 ${lx} ${top + plotH + 14})">${escapeXml(g.label)}</text>`,
    );
  });
  const one = y(1).toFixed(1);
  out.push(`<line x1="${left}" x2="${width - 20}" y1="${one}" y2="${one}" stroke="#d62728" stroke-dasharray="5 4"/>`);
  let lx = left;
  for (const s of series) {
    out.push(
      `<rect x="${lx}" y="${legendY - 9}" width="10" height="10" fill="${s.color}"/>`,
      `<text x="${lx + 14}" y="${legendY}">${escapeXml(s.label)}</text>`,
    );
    lx += 14 + s.label.length * 6 + 16;
  }
  out.push(
    `<line x1="${lx}" x2="${lx + 14}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="#222222" stroke-width="2"/>`,
    `<text x="${lx + 18}" y="${legendY}">level barrier (simulated)</text>`,
  );
  lx += 18 + 25 * 6 + 16;
  out.push(
    `<line x1="${lx}" x2="${lx + 14}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="#d62728" stroke-dasharray="5 4"/>`,
    `<text x="${lx + 18}" y="${legendY}">critical path</text>`,
    `</svg>`,
  );
  return `${out.join("\n")}\n`;
}
