/**
 * The demo's text of a plan (`POST /v1/plans`): where its workflow comes from, the planner's reason, each node's
 * level, routed tier and worst case, the levels and critical path, and the whole run's worst case against its budget.
 */
import type { Plan } from "../shared/planner/plan.js";

/** A plan as `POST /v1/plans` answers it (functions/plans.ts). */
export type PlanBody = Omit<Plan, "tenant" | "createdAt" | "expiresAt"> & {
  createdAt: string;
  expiresAt: string;
  links: { self: string; run: string };
};

const usd = (n: number | null): string => (n === null ? "unknown USD" : `$${n.toFixed(6)}`);
const int = (n: number): string => n.toLocaleString("en-US");

/** The plan's lines, indented like the demo's other sections (no colour, no trailing newline). */
export function planLines(plan: PlanBody): string[] {
  const p = plan.preview;
  const lines: string[] = [];
  const by = plan.simulated ? "simulated planner: no model was called" : "planned by a model";
  lines.push(`  plan         ${plan.id} (${by})`);
  if (plan.source.kind === "workflow") {
    const ref = plan.source.ref;
    const where = ref ? (ref.source === "tenant" ? `tenant version ${ref.version}` : "bundled") : "bundled";
    lines.push(`               workflow ${plan.source.name} (${where}), run as is`);
  } else {
    lines.push(`               ${p.nodes.length} planned nodes over agents ${plan.source.agents.join(", ")}`);
  }
  lines.push(`               reason: ${plan.reason}`);
  const width = Math.max(4, ...p.nodes.map((n) => n.id.length));
  lines.push(`  ${"node".padEnd(width)}  level  tier      worst case`);
  for (const n of p.nodes) {
    const tier = (n.tier ?? n.model ?? "-").padEnd(8);
    const wc = `${int(n.worstCase.tokens)} tokens, ${usd(n.worstCase.usd)}${n.worstCase.bounded ? "" : " (unbounded)"}`;
    lines.push(`  ${n.id.padEnd(width)}  ${String(n.level).padEnd(5)}  ${tier}  ${wc}  ${n.reason}`);
  }
  lines.push(`  levels       ${p.levels.map((l) => l.join(", ")).join("  →  ")}`);
  lines.push(`  critical     ${p.criticalPath.join(" → ")} (${p.criticalPath.length} nodes)`);
  const w = p.worstCase;
  const budget = p.budget
    ? `budget ${[p.budget.usd === undefined ? null : `$${p.budget.usd}`, p.budget.tokens === undefined ? null : `${int(p.budget.tokens)} tokens`].filter(Boolean).join(" and ")}: ${p.fits ? "fits" : "does NOT fit"}`
    : "no budget";
  lines.push(`  worst case   ${int(w.tokens)} tokens, ${usd(w.usd)} over ${w.calls} calls (${budget})`);
  const calls = plan.planner.calls;
  lines.push(
    `  planner      ${calls.length} call${calls.length === 1 ? "" : "s"} on ${calls.map((c) => c.model).join(", ")}, ${usd(plan.planner.costUsd)}`,
  );
  return lines;
}
