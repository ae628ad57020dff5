/**
 * Why a list of nodes is not a valid DAG: the issue record (a value, used by validation to report every problem)
 * and the error the compiler throws for the first one.
 */

/** Closed vocabulary of graph problems. */
export const DAG_ERROR_CODES = ["duplicate-id", "unknown-dependency", "self-dependency", "cycle"] as const;

/** One of {@link DAG_ERROR_CODES}. */
export type DagErrorCode = (typeof DAG_ERROR_CODES)[number];

/**
 * One graph problem.
 * - `node`: the culprit node id (for a cycle: the cycle's first id).
 * - `index`: position of the culprit in the input list (for `duplicate-id`: the later duplicate).
 * - `dependency` / `dependencyIndex`: the offending `dependsOn` entry and its position in that node's raw
 *   `dependsOn` (for a cycle: the entry naming `path[1]`).
 * - `firstIndex`: for `duplicate-id`, the position of the first node with that id.
 * - `path`: for `cycle`, the cycle as ids starting and ending at the same id, each id depending on the next:
 *   `["a","b","c","a"]` means a dependsOn b, b dependsOn c, c dependsOn a.
 * - `message`: human explanation.
 */
export type DagIssue = {
  code: DagErrorCode;
  node: string;
  index: number;
  dependency?: string;
  dependencyIndex?: number;
  firstIndex?: number;
  path?: string[];
  message: string;
};

/**
 * Thrown by `compileDag` for the first graph problem found. `name` is `"DagError"`; `code`, `node` and, for
 * cycles, `path` (see {@link DagIssue.path} for its direction) identify the problem; `issue` holds all details.
 */
export class DagError extends Error {
  /** What is wrong. */
  readonly code: DagErrorCode;
  /** The culprit node id. */
  readonly node: string;
  /** For `cycle`: ids from `node` back to `node`, each depending on the next. */
  readonly path?: string[];
  /** The full issue record. */
  readonly issue: DagIssue;

  /** @param issue - the problem to report; its `message` becomes the error message. */
  constructor(issue: DagIssue) {
    super(issue.message);
    this.name = "DagError";
    this.code = issue.code;
    this.node = issue.node;
    if (issue.path) this.path = issue.path;
    this.issue = issue;
  }
}
