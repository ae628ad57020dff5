/**
 * Reads a codebase from disk into the input of the `review-all` workflow: a file tree, the contents of as many files
 * as fit a size budget, and a plain account of what was left out and why.
 *
 * Deterministic: paths are sorted by UTF-16 code units (not locale order), so the same tree always gives the same
 * input and the same cache keys.
 */
import { open, readdir, readFile, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { compileGitignore, type IgnoreMatcher } from "./gitignore";

/** Largest file whose contents are included, in bytes (48 KiB). Larger files appear in the tree only. */
export const MAX_FILE_BYTES = 48 * 1024;

/**
 * Budget for the whole `files` text, in UTF-8 bytes (256 KiB), wrappers included: `Buffer.byteLength(files)` never
 * exceeds it. 256 KiB is about 64k tokens, which leaves room in a 200k-token context for the prompt and the answer.
 */
export const MAX_TOTAL_BYTES = 256 * 1024;

/** How many leading bytes are searched for a NUL byte to call a file binary: git's own heuristic (8000 bytes, `buffer_is_binary` in git's xdiff-interface.c). */
export const BINARY_SNIFF_BYTES = 8000;

/** The walk stops after this many files, so a huge monorepo cannot exhaust memory; the rest is reported as omitted. */
export const MAX_FILES_SCANNED = 20_000;

/** The tree text lists at most this many lines; the rest is summarised in one line. */
export const MAX_TREE_LINES = 2_000;

/** In the `omitted` text, each reason lists at most this many paths, then "and N more". */
export const OMITTED_LIST_LIMIT = 10;

/** Directories never read, wherever they appear: version control, dependencies, build output and caches. */
export const SKIPPED_DIRS: readonly string[] = [
  ".git",
  ".hg",
  ".svn",
  "node_modules",
  ".wrangler",
  "dist",
  "coverage",
  ".next",
  ".turbo",
  ".cache",
  "__pycache__",
  ".venv",
];

/** Lock files: machine-written, long, and of no use to a reviewer. Listed in the tree, contents left out. */
export const LOCK_FILES: readonly string[] = [
  "package-lock.json",
  "npm-shrinkwrap.json",
  "yarn.lock",
  "pnpm-lock.yaml",
  "bun.lock",
  "bun.lockb",
  "Cargo.lock",
  "Gemfile.lock",
  "composer.lock",
  "poetry.lock",
  "Pipfile.lock",
  "uv.lock",
  "go.sum",
  "flake.lock",
];

/**
 * Files that may hold credentials: their contents are never read or sent to a model. Matched on the file name:
 * `.env`, `.env.*`, `.dev.vars`, `.dev.vars.*`, `.npmrc`, `.netrc`, private keys and keystores.
 */
export const SECRET_FILE_PATTERN =
  /^(?:\.env(?:\..*)?|\.dev\.vars(?:\..*)?|\.npmrc|\.netrc|\.pgpass|id_(?:rsa|dsa|ecdsa|ed25519)|.*\.(?:pem|key|p12|pfx|jks|keystore))$/;

/** Why a file's contents are not in the `files` text. */
export type OmitReason =
  | "over-budget"
  | "too-large"
  | "binary"
  | "lock-file"
  | "secret"
  | "gitignored"
  | "symlink"
  | "unreadable"
  | "scan-limit";

/** Why a directory was not walked: always skipped by name, or ignored by the root `.gitignore`. */
export type DirSkipReason = "always" | "gitignore";

/** Figures about one {@link readCodebase} call. Sizes in bytes. */
export interface CodebaseStats {
  /** Files found by the walk (outside skipped directories), whether included or not. */
  filesSeen: number;
  /** Files whose contents are in `files`. */
  filesIncluded: number;
  /** `filesSeen - filesIncluded`, plus files beyond the scan limit. */
  filesOmitted: number;
  /** Sum of the on-disk sizes of the files seen, bytes. */
  bytesSeen: number;
  /** Sum of the on-disk sizes of the included files, bytes. */
  bytesIncluded: number;
  /** UTF-8 length of the `files` text, wrappers included, bytes; at most `maxTotalBytes`. */
  filesTextBytes: number;
  /** Omitted files per reason. */
  omittedByReason: Record<OmitReason, number>;
  /** Root-relative directories that were not walked, sorted. */
  skippedDirs: string[];
  /** The limits used, bytes. */
  maxFileBytes: number;
  maxTotalBytes: number;
}

/** The `review-all` workflow input, as its prompts read it (`{{input.repo}}`, `{{input.tree}}`, …). */
export interface CodebaseInput {
  /** Repository name: the option, else `name` in the root package.json, else the directory's base name. */
  repo: string;
  /** One line per file or skipped directory, indented two spaces per level, with sizes and omission tags. */
  tree: string;
  /** Included files, each as `<file path="…">\n…\n</file>\n`, in path order. */
  files: string;
  /** One line per omission reason with counts and paths, or `"nothing omitted"`. */
  omitted: string;
  stats: CodebaseStats;
}

/** Options of {@link readCodebase}. */
export interface ReadCodebaseOptions {
  /** Repository name to report. @default package.json `name`, else the directory's base name */
  name?: string;
  /** Per-file limit, bytes. @default MAX_FILE_BYTES (48 KiB) */
  maxFileBytes?: number;
  /** Budget of the `files` text, bytes. @default MAX_TOTAL_BYTES (256 KiB) */
  maxTotalBytes?: number;
  /** Honour the root `.gitignore` (simple subset, see gitignore.ts). @default true */
  gitignore?: boolean;
}

interface FoundFile {
  path: string;
  size: number;
  reason?: OmitReason;
}

interface Walk {
  files: FoundFile[];
  dirs: Map<string, DirSkipReason>;
  truncated: number;
}

/**
 * Reads the codebase under `root` into a {@link CodebaseInput}. Rules, in order, for each file (sorted by path):
 * symbolic links are not followed; files ignored by the root `.gitignore`, lock files ({@link LOCK_FILES}) and
 * possible secrets ({@link SECRET_FILE_PATTERN}) are listed but never read; a NUL byte in the first
 * {@link BINARY_SNIFF_BYTES} bytes marks a binary file; files over `maxFileBytes` are left out; the rest are added
 * while the `files` text stays within `maxTotalBytes`. Files claim the budget by priority: root files (README,
 * manifests, configuration) first, then other non-test files, then tests (under `test/`, `tests/`, `__tests__/`,
 * `spec/`, or named `*.test.*` / `*.spec.*`), path order within each group; a file that does not fit is skipped and
 * later, smaller files may still fit. The `files` text lists the included files in path order. Directories in
 * {@link SKIPPED_DIRS} or ignored by `.gitignore` are not walked. Contents are decoded as UTF-8 (invalid sequences
 * become U+FFFD).
 * @param root path of the codebase's root directory (relative paths resolve against `process.cwd()`).
 * @throws Error when `root` does not exist or is not a directory, or when a limit is not a positive integer.
 */
export async function readCodebase(root: string, options: ReadCodebaseOptions = {}): Promise<CodebaseInput> {
  const maxFileBytes = options.maxFileBytes ?? MAX_FILE_BYTES;
  const maxTotalBytes = options.maxTotalBytes ?? MAX_TOTAL_BYTES;
  for (const [name, value] of [
    ["maxFileBytes", maxFileBytes],
    ["maxTotalBytes", maxTotalBytes],
  ] as const) {
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`Expected \`${name}\` to be a positive integer, got ${value}`);
  }
  const dir = resolve(root);
  const rootStat = await stat(dir).catch(() => undefined);
  if (!rootStat?.isDirectory()) throw new Error(`readCodebase: ${dir} is not a directory`);

  const ignore = options.gitignore === false ? undefined : await loadGitignore(dir);
  const walk: Walk = { files: [], dirs: new Map(), truncated: 0 };
  await walkDir(dir, "", ignore, walk);
  walk.files.sort((a, b) => compare(a.path, b.path));

  const sections = new Map<string, string>();
  let filesTextBytes = 0;
  let bytesIncluded = 0;
  for (const file of byPriority(walk.files)) {
    if (file.reason) continue;
    const name = basename(file.path);
    if (LOCK_FILES.includes(name)) {
      file.reason = "lock-file";
      continue;
    }
    if (SECRET_FILE_PATTERN.test(name)) {
      file.reason = "secret";
      continue;
    }
    // A section is never shorter than the file (UTF-8 decoding only grows invalid bytes), so a file larger than
    // the budget left is over budget without reading more than its head.
    const tooBig: TooBig | undefined =
      file.size > maxFileBytes ? "too-large" : file.size > maxTotalBytes - filesTextBytes ? "over-budget" : undefined;
    const content = await readContent(join(dir, file.path), file.size, tooBig);
    if (content.kind !== "text") {
      file.reason = content.kind;
      continue;
    }
    const section = fileSection(file.path, content.text);
    const sectionBytes = Buffer.byteLength(section, "utf8");
    if (filesTextBytes + sectionBytes > maxTotalBytes) {
      file.reason = "over-budget";
      continue;
    }
    sections.set(file.path, section);
    filesTextBytes += sectionBytes;
    bytesIncluded += file.size;
  }

  const omittedByReason = emptyReasonCounts();
  for (const file of walk.files) if (file.reason) omittedByReason[file.reason] += 1;
  omittedByReason["scan-limit"] += walk.truncated;
  const filesIncluded = sections.size;
  const skippedDirs = [...walk.dirs.keys()].sort(compare);

  return {
    repo: options.name ?? (await packageName(dir)) ?? basename(dir),
    tree: renderTree(walk),
    files: walk.files.flatMap((f) => sections.get(f.path) ?? []).join(""), // path order
    omitted: describeOmitted(walk, { maxFileBytes, maxTotalBytes }),
    stats: {
      filesSeen: walk.files.length,
      filesIncluded,
      filesOmitted: walk.files.length - filesIncluded + walk.truncated,
      bytesSeen: walk.files.reduce((sum, f) => sum + f.size, 0),
      bytesIncluded,
      filesTextBytes,
      omittedByReason,
      skippedDirs,
      maxFileBytes,
      maxTotalBytes,
    },
  };
}

/**
 * Wraps one file for the `files` text: `<file path="src/a.ts">\n<content>\n</file>\n` (exactly one newline before
 * the closing tag, whether or not the content ends with one).
 * @param path root-relative path with `/` separators.
 * @param content the file's text.
 */
export function fileSection(path: string, content: string): string {
  const body = content.endsWith("\n") ? content : `${content}\n`;
  return `<file path="${path}">\n${body}</file>\n`;
}

/**
 * Formats a byte count for people: `"512 B"`, `"1.5 KiB"`, `"256 KiB"`, `"2 MiB"` (binary prefixes, one decimal,
 * dropped when it is 0).
 * @param bytes a non-negative byte count.
 */
export function formatBytes(bytes: number): string {
  const fixed = (n: number) => n.toFixed(1).replace(/\.0$/, "");
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${fixed(bytes / 1024)} KiB`;
  return `${fixed(bytes / (1024 * 1024))} MiB`;
}

/** Test files: under a `test`, `tests`, `__tests__` or `spec` folder, or named `*.test.*` / `*.spec.*`. */
const TEST_PATH = /(?:^|\/)(?:tests?|__tests__|specs?)\/|\.(?:test|spec)\.[^./]+$/;

/**
 * The order in which files claim the budget: files at the root (README, manifests, configuration), then the other
 * non-test files, then tests; path order within each group. The `files` text itself stays in path order.
 */
function byPriority(files: FoundFile[]): FoundFile[] {
  const tier = (path: string) => (!path.includes("/") ? 0 : TEST_PATH.test(path) ? 2 : 1);
  return [...files].sort((a, b) => tier(a.path) - tier(b.path) || compare(a.path, b.path));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function emptyReasonCounts(): Record<OmitReason, number> {
  return {
    "over-budget": 0,
    "too-large": 0,
    binary: 0,
    "lock-file": 0,
    secret: 0,
    gitignored: 0,
    symlink: 0,
    unreadable: 0,
    "scan-limit": 0,
  };
}

async function loadGitignore(dir: string): Promise<IgnoreMatcher | undefined> {
  const text = await readFile(join(dir, ".gitignore"), "utf8").catch(() => undefined);
  return text === undefined ? undefined : compileGitignore(text);
}

async function packageName(dir: string): Promise<string | undefined> {
  try {
    const pkg: unknown = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
    if (pkg && typeof pkg === "object" && "name" in pkg && typeof pkg.name === "string" && pkg.name !== "") {
      return pkg.name;
    }
  } catch {
    // no package.json, or not JSON: fall back to the directory name
  }
  return undefined;
}

async function walkDir(abs: string, rel: string, ignore: IgnoreMatcher | undefined, walk: Walk): Promise<void> {
  const entries = await readdir(abs, { withFileTypes: true });
  entries.sort((a, b) => compare(a.name, b.name));
  for (const entry of entries) {
    const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) {
      if (SKIPPED_DIRS.includes(entry.name)) walk.dirs.set(path, "always");
      else if (ignore?.(path, true)) walk.dirs.set(path, "gitignore");
      else await walkDir(join(abs, entry.name), path, ignore, walk);
      continue;
    }
    if (!entry.isFile() && !entry.isSymbolicLink()) continue; // sockets, FIFOs, devices
    if (walk.files.length >= MAX_FILES_SCANNED) {
      walk.truncated += 1;
      continue;
    }
    if (entry.isSymbolicLink()) {
      walk.files.push({ path, size: 0, reason: "symlink" });
      continue;
    }
    const size = (await stat(join(abs, entry.name)).catch(() => undefined))?.size;
    if (size === undefined) walk.files.push({ path, size: 0, reason: "unreadable" });
    else if (ignore?.(path, false)) walk.files.push({ path, size, reason: "gitignored" });
    else walk.files.push({ path, size });
  }
}

type TooBig = "too-large" | "over-budget";
type Content = { kind: "text"; text: string } | { kind: "binary" | "unreadable" | TooBig };

async function readContent(abs: string, size: number, tooBig: TooBig | undefined): Promise<Content> {
  try {
    if (tooBig) {
      // Only sniff the head, so a large binary is reported as binary rather than as too large.
      const handle = await open(abs, "r");
      try {
        const head = Buffer.alloc(Math.min(size, BINARY_SNIFF_BYTES));
        const { bytesRead } = await handle.read(head, 0, head.length, 0);
        return { kind: head.subarray(0, bytesRead).includes(0) ? "binary" : tooBig };
      } finally {
        await handle.close();
      }
    }
    const bytes = await readFile(abs);
    if (bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0)) return { kind: "binary" };
    // Buffer decoding keeps a leading BOM, so the decoded text is never shorter in UTF-8 than the file.
    return { kind: "text", text: bytes.toString("utf8") };
  } catch {
    return { kind: "unreadable" };
  }
}

const TAGS: Record<OmitReason, string> = {
  "over-budget": "omitted: over total budget",
  "too-large": "omitted: too large",
  binary: "omitted: binary",
  "lock-file": "omitted: lock file",
  secret: "omitted: may hold secrets",
  gitignored: "omitted: .gitignore",
  symlink: "symlink, not followed",
  unreadable: "omitted: unreadable",
  "scan-limit": "omitted: scan limit",
};

function renderTree(walk: Walk): string {
  type Leaf = { path: string; label: string };
  const leaves: Leaf[] = [
    ...walk.files.map((f) => {
      const name = basename(f.path);
      const size = f.reason === "symlink" ? "" : formatBytes(f.size);
      const tag = f.reason ? TAGS[f.reason] : "";
      const detail = [size, tag].filter((s) => s !== "").join(", ");
      return { path: f.path, label: detail ? `${name} (${detail})` : name };
    }),
    ...[...walk.dirs].map(([path, why]) => ({
      path,
      label: `${basename(path)}/ (skipped${why === "gitignore" ? ": .gitignore" : ""})`,
    })),
  ].sort((a, b) => compare(a.path, b.path));

  const lines: string[] = [];
  let previous: string[] = [];
  for (const leaf of leaves) {
    const parts = leaf.path.split("/");
    const dirs = parts.slice(0, -1);
    let common = 0;
    while (common < dirs.length && common < previous.length && dirs[common] === previous[common]) common += 1;
    for (let depth = common; depth < dirs.length; depth += 1) lines.push(`${"  ".repeat(depth)}${dirs[depth]}/`);
    lines.push(`${"  ".repeat(dirs.length)}${leaf.label}`);
    previous = dirs;
  }
  if (walk.truncated > 0)
    lines.push(`… scan stopped after ${MAX_FILES_SCANNED} files; ${walk.truncated} more not listed`);
  if (lines.length > MAX_TREE_LINES) {
    const rest = lines.length - MAX_TREE_LINES;
    lines.length = MAX_TREE_LINES;
    lines.push(`… ${rest} more lines`);
  }
  return lines.join("\n");
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function listPaths(paths: string[]): string {
  const shown = paths.slice(0, OMITTED_LIST_LIMIT).join(", ");
  return paths.length > OMITTED_LIST_LIMIT ? `${shown} and ${paths.length - OMITTED_LIST_LIMIT} more` : shown;
}

function describeOmitted(walk: Walk, limits: { maxFileBytes: number; maxTotalBytes: number }): string {
  const byReason = (reason: OmitReason) => walk.files.filter((f) => f.reason === reason).map((f) => f.path);
  const lines: string[] = [];
  const add = (reason: OmitReason, one: string, many: string) => {
    const paths = byReason(reason);
    if (paths.length > 0) lines.push(`${plural(paths.length, one, many)}: ${listPaths(paths)}`);
  };
  add(
    "over-budget",
    `file over the ${formatBytes(limits.maxTotalBytes)} total budget`,
    `files over the ${formatBytes(limits.maxTotalBytes)} total budget`,
  );
  add(
    "too-large",
    `file over the ${formatBytes(limits.maxFileBytes)} per-file limit`,
    `files over the ${formatBytes(limits.maxFileBytes)} per-file limit`,
  );
  add("binary", "binary file", "binary files");
  add("lock-file", "lock file", "lock files");
  add("secret", "file that may hold secrets (never read)", "files that may hold secrets (never read)");
  add("gitignored", "file ignored by .gitignore", "files ignored by .gitignore");
  add("symlink", "symbolic link not followed", "symbolic links not followed");
  add("unreadable", "unreadable file", "unreadable files");
  if (walk.truncated > 0)
    lines.push(`${plural(walk.truncated, "file", "files")} beyond the scan limit of ${MAX_FILES_SCANNED} files`);
  const dirs = [...walk.dirs].sort((a, b) => compare(a[0], b[0]));
  const always = dirs.filter(([, why]) => why === "always").map(([p]) => p);
  const ignored = dirs.filter(([, why]) => why === "gitignore").map(([p]) => p);
  if (always.length > 0) lines.push(`${listPaths(always)} skipped (dependencies, build output, version control)`);
  if (ignored.length > 0) lines.push(`${listPaths(ignored)} skipped (.gitignore)`);
  return lines.length > 0 ? lines.join("\n") : "nothing omitted";
}
