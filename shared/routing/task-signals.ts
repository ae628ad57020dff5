/**
 * Text signals of a node for routing: which "hard" and "easy" task words its prompt uses, and what its role (agent
 * name, node id, the opening of its system prompt) says about it. Pure string matching, case-insensitive, on word
 * boundaries. The lists are ours, a rule of thumb following the usual split of a model family: the small model
 * for classification, extraction, summaries and formatting; the large one for architecture, security, proofs and
 * subtle multi-step reasoning. Change them here and the table tests in test/unit/routing say what moved.
 */

/** Characters of the prompt scanned for keywords: instructions come first; what follows is mostly context. */
export const KEYWORD_SCAN_CHARS = 4000;

/** Characters of the system prompt scanned for role words ("You are an application security engineer. …"). */
export const ROLE_SCAN_CHARS = 200;

/**
 * Words that mark a task needing a strong model, as `[label, pattern]`. Patterns are matched case-insensitively
 * and anchored at word starts; a label counts once however often it appears.
 */
export const DEEP_KEYWORDS: ReadonlyArray<readonly [string, RegExp]> = [
  ["security", /\b(security|secure|vulnerab\w*|exploit\w*|threat model\w*)\b/i],
  ["architecture", /\barchitect\w*\b/i],
  ["design", /\b(design|designs|designing|redesign)\b/i],
  ["prove", /\b(prove|proves|proof|proofs|formally|formal verification)\b/i],
  ["trade-offs", /\btrade-?offs?\b/i],
  ["root cause", /\broot[- ]causes?\b/i],
  ["concurrency", /\b(concurrency|race conditions?|deadlocks?|invariants?)\b/i],
  ["algorithm", /\balgorithm\w*\b/i],
  ["strategy", /\bstrateg(y|ies|ic)\b/i],
  ["synthesize", /\b(synthesi[sz]e\w*|synthesis)\b/i],
  ["audit", /\baudit\w*\b/i],
];

/** Words that mark a light, mechanical task (same matching as {@link DEEP_KEYWORDS}). */
export const LIGHT_KEYWORDS: ReadonlyArray<readonly [string, RegExp]> = [
  ["summarize", /\b(summari[sz]e\w*|summary|summaries|tl;dr)\b/i],
  ["extract", /\bextract\w*\b/i],
  ["classify", /\b(classify|classif\w*|categori[sz]e\w*)\b/i],
  ["list", /\b(list|lists|enumerate)\b/i],
  ["translate", /\btranslat\w*\b/i],
  ["format", /\b(format|reformat|convert)\b/i],
  ["label", /\b(label|tag)\b/i],
  ["count", /\bcount\b/i],
  ["yes/no", /\b(yes or no|yes\/no|one word)\b/i],
];

/**
 * Role words of demanding agents, matched at the start of a word (after a non-letter: `senior-reviewer`,
 * `team_lead`, "You are a software architect") in the agent name, the node id and the system prompt's opening.
 * "expert" is left out on purpose: nearly every system prompt claims it.
 */
export const DEEP_ROLE =
  /(?<![a-z])((?:architect|security|senior|principal|staff|judge|critic|planner|strateg|synthes|auditor|lead)[a-z]*)/i;

/** Role words of light agents (same matching as {@link DEEP_ROLE}). */
export const LIGHT_ROLE =
  /(?<![a-z])((?:summar|extract|classif|categori|formatter|tagger|labeler|labeller|translat|router|parser)[a-z]*)/i;

/**
 * Labels of the keyword lists whose pattern occurs in the first {@link KEYWORD_SCAN_CHARS} characters of `text`.
 * @returns labels in list order, each at most once.
 */
export function matchKeywords(text: string, list: ReadonlyArray<readonly [string, RegExp]>): string[] {
  const head = text.slice(0, KEYWORD_SCAN_CHARS);
  return list.filter(([, re]) => re.test(head)).map(([label]) => label);
}

/**
 * What the node's role says: `deep` or `light` with the (lower-cased) word that matched, e.g. `summarizer`, or null. The agent name is read first,
 * then the node id, then the first {@link ROLE_SCAN_CHARS} characters of the system prompt; within one source a deep
 * word beats a light one (a "security-summarizer" is still a security role).
 */
export function roleSignal(
  agent: string,
  nodeId: string,
  system = "",
): { role: "deep" | "light"; word: string } | null {
  for (const source of [agent, nodeId, system.slice(0, ROLE_SCAN_CHARS)]) {
    const deep = DEEP_ROLE.exec(source);
    if (deep) return { role: "deep", word: deep[1]!.toLowerCase() };
    const light = LIGHT_ROLE.exec(source);
    if (light) return { role: "light", word: light[1]!.toLowerCase() };
  }
  return null;
}
