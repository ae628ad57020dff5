/**
 * The plan id pattern on its own, so the trigger schema (and the browser code that reads it) can check a `plan`
 * field without importing the planner and, through it, the engine.
 */

/** Pattern of a plan id: `plan_` and 26 lower-case hex digits. */
export const PLAN_ID_RE = /^plan_[0-9a-f]{26}$/;
