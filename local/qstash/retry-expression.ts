import type { MathNode } from "mathjs";

/** Functions an `Upstash-Retry-Delay` expression may call (docs/upstash-protocols.md B2). */
export const RETRY_DELAY_FUNCTIONS: ReadonlySet<string> = new Set([
  "pow",
  "sqrt",
  "abs",
  "exp",
  "floor",
  "ceil",
  "round",
  "min",
  "max",
]);

/** Thrown for an expression that does not parse or uses anything but numbers, `retried`, operators and the allowed functions. */
export class RetryDelayExpressionError extends Error {
  override name = "RetryDelayExpressionError";
}

/** A compiled expression: `retried` (0 for the first retry) -> delay in ms (>= 0). */
export type RetryDelayFn = (retried: number) => number;

type MathModule = typeof import("mathjs");
let mathjs: Promise<MathModule> | undefined;
const cache = new Map<string, RetryDelayFn>();

/** mathjs takes about a second to load, so it is imported on first use only. */
function loadMath(): Promise<MathModule> {
  mathjs ??= import("mathjs");
  return mathjs;
}

function check(node: MathNode, expr: string): void {
  node.traverse((n, _path, parent) => {
    switch (n.type) {
      case "ConstantNode":
      case "OperatorNode":
      case "ParenthesisNode":
        return;
      case "FunctionNode": {
        const name = (n as MathNode & { fn: { name?: string } }).fn.name ?? "";
        if (!RETRY_DELAY_FUNCTIONS.has(name))
          throw new RetryDelayExpressionError(`Upstash-Retry-Delay "${expr}": function ${name}() is not allowed`);
        return;
      }
      case "SymbolNode": {
        const name = (n as MathNode & { name: string }).name;
        const isCallee = parent?.type === "FunctionNode" && (parent as MathNode & { fn: MathNode }).fn === n;
        if (name === "retried" || isCallee) return;
        throw new RetryDelayExpressionError(
          `Upstash-Retry-Delay "${expr}": unknown name "${name}" (only \`retried\` is defined)`,
        );
      }
      default:
        throw new RetryDelayExpressionError(`Upstash-Retry-Delay "${expr}": ${n.type} is not allowed`);
    }
  });
}

/**
 * Compiles an `Upstash-Retry-Delay` math expression (milliseconds; variable `retried` = 0 for the first retry;
 * functions pow sqrt abs exp floor ceil round min max; docs/upstash-protocols.md B2/B5), e.g.
 * `"1000 * pow(2, retried)"`. Evaluation uses mathjs on a checked syntax tree (no assignments, no other
 * functions or names). Results that are not finite numbers or are negative evaluate to 0.
 * @throws RetryDelayExpressionError when the expression is invalid.
 */
export async function compileRetryDelay(expr: string): Promise<RetryDelayFn> {
  const hit = cache.get(expr);
  if (hit) return hit;
  const math = await loadMath();
  let node: MathNode;
  try {
    node = math.parse(expr);
  } catch (err) {
    throw new RetryDelayExpressionError(
      `Upstash-Retry-Delay "${expr}": ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  check(node, expr);
  const code = node.compile();
  const fn: RetryDelayFn = (retried) => {
    let value: unknown;
    try {
      value = code.evaluate({ retried });
    } catch {
      return 0;
    }
    const n = typeof value === "number" ? value : Number(value);
    return Number.isFinite(n) && n > 0 ? n : 0;
  };
  cache.set(expr, fn);
  return fn;
}
