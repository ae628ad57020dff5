/**
 * A small `.gitignore` matcher: enough of the format for the demo to leave out what a repository ignores.
 *
 * Supported (https://git-scm.com/docs/gitignore, "PATTERN FORMAT"): blank lines and `#` comments, `!` negation
 * (last matching rule wins), a trailing `/` for directories only, a leading or middle `/` anchoring the pattern to
 * the root, `*`, `?`, `[...]` and `**`. Not supported: nested `.gitignore` files, `.git/info/exclude`, the global
 * excludes file, and escaped trailing spaces.
 */

/** One compiled `.gitignore` line. */
interface Rule {
  /** Matches a root-relative, `/`-separated path. */
  readonly regex: RegExp;
  /** `!pattern`: re-includes what an earlier rule excluded. */
  readonly negated: boolean;
  /** `pattern/`: applies to directories only. */
  readonly dirOnly: boolean;
}

/**
 * Decides whether a path is ignored.
 * @param path root-relative path with `/` separators and no leading `/`, e.g. `"src/a.ts"`.
 * @param isDir whether the path names a directory (rules ending in `/` match directories only).
 * @returns true when the last rule that matches the path is not a negation.
 */
export type IgnoreMatcher = (path: string, isDir: boolean) => boolean;

/**
 * Compiles the text of a root `.gitignore` into a matcher.
 * @param text the file's contents (any line endings).
 * @returns a matcher; an empty text gives one that ignores nothing. Never throws: a line that does not compile
 *   to a valid regular expression (e.g. a malformed `[` class) is dropped.
 */
export function compileGitignore(text: string): IgnoreMatcher {
  const rules: Rule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const rule = compileLine(raw);
    if (rule) rules.push(rule);
  }
  return (path, isDir) => {
    let ignored = false;
    for (const rule of rules) {
      if (rule.dirOnly && !isDir) continue;
      if (rule.regex.test(path)) ignored = !rule.negated;
    }
    return ignored;
  };
}

function compileLine(raw: string): Rule | undefined {
  let line = raw.replace(/\s+$/, "");
  if (line === "" || line.startsWith("#")) return undefined;
  let negated = false;
  if (line.startsWith("!")) {
    negated = true;
    line = line.slice(1);
  } else if (line.startsWith("\\!") || line.startsWith("\\#")) {
    line = line.slice(1);
  }
  let dirOnly = false;
  if (line.endsWith("/")) {
    dirOnly = true;
    line = line.replace(/\/+$/, "");
  }
  if (line === "") return undefined;
  // A slash at the start or in the middle anchors the pattern to the root; otherwise it matches at any depth.
  const anchored = line.includes("/");
  line = line.replace(/^\/+/, "");
  const body = globToRegex(line);
  try {
    const regex = new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`);
    return { regex, negated, dirOnly };
  } catch {
    return undefined;
  }
}

function globToRegex(glob: string): string {
  let out = "";
  let i = 0;
  while (i < glob.length) {
    const c = glob[i] as string;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        const atStart = i === 0 || glob[i - 1] === "/";
        const slashAfter = glob[i + 2] === "/";
        if (atStart && slashAfter) {
          out += "(?:.*/)?"; // "**/" : zero or more directories
          i += 3;
          continue;
        }
        if (atStart && i + 2 === glob.length) {
          out += ".*"; // trailing "/**": everything inside
          i += 2;
          continue;
        }
      }
      out += "[^/]*";
      i += 1;
    } else if (c === "?") {
      out += "[^/]";
      i += 1;
    } else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end === -1) {
        out += "\\[";
        i += 1;
      } else {
        let cls = glob.slice(i + 1, end);
        if (cls.startsWith("!")) cls = `^${cls.slice(1)}`;
        out += `[${cls.replace(/\\/g, "\\\\")}]`;
        i = end + 1;
      }
    } else if (c === "\\" && i + 1 < glob.length) {
      out += escapeRegex(glob[i + 1] as string);
      i += 2;
    } else {
      out += escapeRegex(c);
      i += 1;
    }
  }
  return out;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
