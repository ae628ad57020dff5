/**
 * Builds the dashboard into `dashboard/dist/` (the worker's static assets, `[assets]` in wrangler.toml): bundles
 * `dashboard/src/main.ts` with esbuild into one self-contained `app.js` (dagre and zod included: no CDN, works
 * offline) and copies `index.html` and `app.css`. A file is replaced by an atomic rename, and only when its bytes
 * change, so a worker that serves the folder never reads half a file. `npm run build` runs it; the test config,
 * the local worker (local/local-worker.ts) and `npm run deploy` build before they start.
 */
import "./require-node.js";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { PROJECT_ROOT } from "./project-root.js";

/** The dashboard's sources. */
export const DASHBOARD_DIR = join(PROJECT_ROOT, "dashboard");
/** Where the built dashboard goes (git-ignored). */
export const DASHBOARD_DIST = join(DASHBOARD_DIR, "dist");

/** Writes `bytes` to `path` through a temporary file and a rename, unless the file already holds them. */
function writeIfChanged(path: string, bytes: Uint8Array | string): boolean {
  const next = typeof bytes === "string" ? Buffer.from(bytes) : Buffer.from(bytes);
  try {
    if (readFileSync(path).equals(next)) return false;
  } catch {
    // missing: write it
  }
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, next);
  renameSync(tmp, path);
  return true;
}

/**
 * Builds the dashboard.
 * @returns the files written (changed) and the size of app.js, bytes.
 * @throws esbuild's error when the sources do not compile.
 */
export async function buildDashboard(): Promise<{ changed: string[]; appBytes: number }> {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [join(DASHBOARD_DIR, "src", "main.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "none",
    write: false,
    logLevel: "silent",
  });
  const app = result.outputFiles[0];
  if (!app) throw new Error("esbuild produced no output");
  mkdirSync(DASHBOARD_DIST, { recursive: true });
  const files: [string, Uint8Array | string][] = [
    ["app.js", app.contents],
    ["index.html", readFileSync(join(DASHBOARD_DIR, "index.html"))],
    ["app.css", readFileSync(join(DASHBOARD_DIR, "app.css"))],
  ];
  const changed = files.filter(([name, bytes]) => writeIfChanged(join(DASHBOARD_DIST, name), bytes)).map(([n]) => n);
  return { changed, appBytes: app.contents.byteLength };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { changed, appBytes } = await buildDashboard();
  console.log(
    `dashboard: ${DASHBOARD_DIST} (app.js ${(appBytes / 1024).toFixed(0)} KiB; ${changed.length ? `wrote ${changed.join(", ")}` : "unchanged"})`,
  );
}
