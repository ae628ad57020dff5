import "../require-node.js";
import { readFileSync } from "node:fs";
import type { RunRequest, RunViewBody } from "../../shared/client/run-api.js";
import { isTerminalStatus } from "../../shared/client/run-api.js";
import { RunClient } from "../../shared/client/run-client.js";
import { RunClientError } from "../../shared/client/run-client-error.js";
import { runEventSource } from "../../shared/client/run-event-stream.js";
import { sseRunFeed } from "../../shared/client/run-feed.js";
import { LiveRegion } from "../live-region.js";
import { progressLines } from "../progress-lines.js";
import { renderRun } from "../render.js";
import { type Command, type Connection, parseCommandLine, USAGE, UsageError } from "./args.js";
import { dashboardUrl, exitStatusOf, formatRunsTable } from "./format.js";

/**
 * `agent-dag` (package.json `bin`; bin/agent-dag.mjs runs this through tsx): the run API of any deployment from a
 * terminal (args.ts lists the commands). `watch` and `run --watch` draw the demo's live todo list (local/render.ts)
 * on a TTY, one line per change otherwise, fed by the run feed (shared/client/run-feed.ts). Exit status: 0 on
 * success, 1 when the API refused or a followed run did not complete, 2 for a bad command line.
 */

/** How often `watch` reads the run when it falls back to polling (no event stream), ms. */
const WATCH_INTERVAL_MS = 500;

function readJsonFile(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new UsageError(`${what} ${path}: ${(err as Error).message}`);
  }
}

/** A workflow argument: a `.json` file (an inline definition) or the name of a bundled workflow. */
function workflowArg(arg: string): RunRequest["workflow"] {
  if (/\.json$/i.test(arg)) return readJsonFile(arg, "cannot read the workflow") as RunRequest["workflow"];
  return arg;
}

/** Follows a run to its end through its events (polling when they cannot be read), drawing it; resolves with the
 * final view. */
function watch(client: RunClient, c: Connection, runId: string): Promise<RunViewBody> {
  const tty = process.stdout.isTTY === true;
  const region = tty ? new LiveRegion(process.stdout) : null;
  let prev: RunViewBody | null = null;
  return new Promise((resolve, reject) => {
    const events = runEventSource({ baseUrl: c.url, apiKey: c.apiKey });
    const feed = sseRunFeed(client, events, { activeIntervalMs: WATCH_INTERVAL_MS, idleIntervalMs: 0 });
    const sub = feed.subscribe(runId, {
      onView(view) {
        const now = Date.now();
        if (region) region.update(renderRun(view, { color: true, width: process.stdout.columns ?? 0, now }));
        else for (const line of progressLines(prev, view, now)) process.stdout.write(`${line}\n`);
        prev = view;
        if (isTerminalStatus(view.status)) {
          sub.stop();
          region?.done();
          resolve(view);
        }
      },
      onError(err) {
        if (err instanceof RunClientError && err.status >= 400 && err.status < 500) {
          sub.stop();
          region?.done();
          reject(err);
        }
      },
    });
  });
}

async function execute(command: Command, c: Connection): Promise<number> {
  const client = new RunClient({ baseUrl: c.url, apiKey: c.apiKey });
  const print = (value: unknown, text: string) =>
    process.stdout.write(`${c.json ? JSON.stringify(value, null, 2) : text}\n`);
  switch (command.kind) {
    case "help":
      return 0;
    case "run": {
      const body: RunRequest = { workflow: workflowArg(command.workflow) };
      if (command.input) body.input = readJsonFile(command.input, "cannot read the input");
      const started = await client.start(body);
      print(started, `${started.runId} ${started.status}  ${dashboardUrl(c.url, started.runId)}`);
      if (!command.watch) return 0;
      return exitStatusOf((await watch(client, c, started.runId)).status);
    }
    case "watch":
      return exitStatusOf((await watch(client, c, command.runId)).status);
    case "runs": {
      const page = await client.list({
        status: command.status,
        workflow: command.workflow,
        trigger: command.trigger,
        limit: command.limit,
      });
      print(page, formatRunsTable(page.runs, Date.now()));
      return 0;
    }
    case "cancel": {
      const out = await client.cancel(command.runId);
      const what = out.alreadyCancelled ? "was already cancelled" : `cancelled (${out.nodesCancelled ?? 0} nodes)`;
      print(out, `${out.runId} ${what}`);
      return 0;
    }
    case "retry":
    case "rerun": {
      const out =
        command.kind === "rerun" ? await client.rerun(command.runId, command.from) : await client.retry(command.runId);
      print(out, `${out.runId} ${out.status} (try ${out.try})  ${dashboardUrl(c.url, out.runId)}`);
      return 0;
    }
    case "output": {
      const out = await client.output(command.runId);
      const text = Object.entries(out.outputs)
        .map(([id, o]) => `=== ${id}\n${o ?? "(unreadable)"}`)
        .join("\n\n");
      print(out, text || `${out.runId} ${out.status}: no sink node has finished`);
      return 0;
    }
    case "signal": {
      const body = command.payload === undefined ? {} : { payload: command.payload };
      const out = await client.signal(command.runId, command.nodeId, { approved: command.approved, ...body });
      const what = out.approved ? "approved" : "rejected";
      print(out, `${out.runId} ${out.nodeId} ${what}: ${out.status}${out.replayed ? " (already signalled)" : ""}`);
      return 0;
    }
  }
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseCommandLine(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`agent-dag: ${(err as Error).message}\n`);
    process.exit(2);
  }
  if (parsed.command.kind === "help" || !parsed.connection) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  try {
    process.exitCode = await execute(parsed.command, parsed.connection);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`agent-dag: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`agent-dag: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

await main();
