/**
 * The Node.js version check every command-line entry point runs first (through `./require-node.js`): on an older
 * Node, wrangler, miniflare and the stack fail later with errors that do not name the cause, so the command stops
 * at once with one line saying what to install.
 */

/** Oldest Node.js the project runs on: package.json `engines.node` (">=22.12"; wrangler needs it too). */
export const MIN_NODE_VERSION = { major: 22, minor: 12 } as const;

/**
 * The one-line message for a Node.js version older than {@link MIN_NODE_VERSION}, or null when it is recent enough.
 * @param version `process.versions.node` form, e.g. `"20.20.2"` (a leading `v` is allowed). A version that does
 *   not parse counts as too old (the message then shows it as written).
 */
export function nodeVersionProblem(version: string): string | null {
  const m = /^v?(\d+)\.(\d+)\.\d+/.exec(version.trim());
  const { major, minor } = MIN_NODE_VERSION;
  if (m) {
    const [have, haveMinor] = [Number(m[1]), Number(m[2])];
    if (have > major || (have === major && haveMinor >= minor)) return null;
  }
  return (
    `agent-dag needs Node >= ${major}.${minor} (this is ${version.replace(/^v/, "")}): ` +
    `install Node ${major}.${minor} or later (e.g. \`nvm install ${major}\`), then run \`npm ci\` again.`
  );
}

/**
 * Prints {@link nodeVersionProblem}'s line to stderr and exits with status 1 when this Node is too old; else
 * returns. Never throws.
 */
export function exitOnOldNode(version: string = process.versions.node): void {
  const problem = nodeVersionProblem(version);
  if (problem === null) return;
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
