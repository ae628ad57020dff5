/**
 * The `agent-dag` command line, parsed (pure): a command and its arguments. Commands: `run <workflow.json|name>
 * [--input file.json] [--watch]`, `watch <runId>`, `runs [--status s[,s]] [--workflow w] [--trigger t] [--limit n]`,
 * `cancel <runId>`, `retry <runId>`, `rerun <runId> --from <node>`, `output <runId>`, `signal <runId> <node>
 * [--reject] [--payload <json>]`. Everywhere: `--url` and
 * `--key` (else `AGENT_DAG_URL`, `AGENT_DAG_API_KEY`), `--json` (machine-readable answers), `--help`.
 */
import { parseArgs } from "node:util";

/** A parsed command line. */
export type Command =
  | { kind: "help" }
  | { kind: "run"; workflow: string; input: string | undefined; watch: boolean }
  | { kind: "watch"; runId: string }
  | { kind: "runs"; status: string[]; workflow: string | undefined; trigger: string | undefined; limit: number }
  | { kind: "cancel" | "retry" | "output"; runId: string }
  | { kind: "rerun"; runId: string; from: string }
  | { kind: "signal"; runId: string; nodeId: string; approved: boolean; payload: unknown };

/** Where the worker is and how to talk to it. */
export interface Connection {
  url: string;
  apiKey: string;
  json: boolean;
}

/** A command line that cannot run; `message` says why, for one line on stderr (exit status 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The text of `agent-dag --help`. */
export const USAGE = `usage: agent-dag <command> [options]

commands:
  run <workflow.json|name> [--input file.json] [--watch]   start a run (a bundled workflow by name, or a file)
  watch <runId>                                           follow a run live (the todo list by level)
  runs [--status running,failed] [--workflow w] [--trigger t] [--limit n]
                                                          list runs, newest first
  cancel <runId>                                          cancel a running run
  retry <runId>                                           run the failed or cancelled nodes again
  rerun <runId> --from <node>                             run a node and everything after it again
  output <runId>                                          print the sink nodes' outputs
  signal <runId> <node> [--reject] [--payload <json>]     approve (or reject) a waiting wait node

options:
  --url <url>     the worker (default: $AGENT_DAG_URL)
  --key <key>     an API key (default: $AGENT_DAG_API_KEY)
  --json          print the API's JSON answers
  -h, --help      this text`;

const RUN_ID_HELP = "expects a run id (run_…)";

/**
 * Parses the arguments after the program name.
 * @param env the environment (`AGENT_DAG_URL`, `AGENT_DAG_API_KEY`).
 * @returns the command, and the connection unless the command is `help`.
 * @throws UsageError for an unknown command or option, a missing argument, a bad number, or a missing URL or key.
 */
export function parseCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): { command: Command; connection: Connection | null } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        input: { type: "string" },
        watch: { type: "boolean", default: false },
        status: { type: "string", multiple: true },
        workflow: { type: "string" },
        trigger: { type: "string" },
        limit: { type: "string" },
        from: { type: "string" },
        reject: { type: "boolean", default: false },
        payload: { type: "string" },
        url: { type: "string" },
        key: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values: v, positionals } = parsed;
  const [name, arg, ...rest] = positionals;
  if (v.help || name === undefined || name === "help") return { command: { kind: "help" }, connection: null };
  // `signal` takes a second argument, the node
  const [second, ...extra] = name === "signal" ? rest : [undefined, ...rest];
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const needArg = (what: string): string => {
    if (arg === undefined || arg === "") throw new UsageError(`${name} ${what}`);
    return arg;
  };
  const noArg = () => {
    if (arg !== undefined) throw new UsageError(`${name} takes no argument (got "${arg}")`);
  };
  let command: Command;
  switch (name) {
    case "run":
      command = { kind: "run", workflow: needArg("expects a workflow file or name"), input: v.input, watch: v.watch };
      break;
    case "watch":
      command = { kind: "watch", runId: needArg(RUN_ID_HELP) };
      break;
    case "runs": {
      noArg();
      const limit = v.limit === undefined ? 20 : Number(v.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
        throw new UsageError(`--limit expects an integer 1..100, got "${v.limit}"`);
      }
      const status = (v.status ?? []).flatMap((s) => s.split(",")).filter((s) => s !== "");
      command = { kind: "runs", status, workflow: v.workflow, trigger: v.trigger, limit };
      break;
    }
    case "cancel":
    case "retry":
    case "output":
      command = { kind: name, runId: needArg(RUN_ID_HELP) };
      break;
    case "rerun":
      if (!v.from) throw new UsageError("rerun expects --from <node>");
      command = { kind: "rerun", runId: needArg(RUN_ID_HELP), from: v.from };
      break;
    case "signal": {
      const runId = needArg(RUN_ID_HELP);
      if (!second) throw new UsageError("signal expects <runId> <node>");
      let payload: unknown;
      try {
        payload = v.payload === undefined ? undefined : JSON.parse(v.payload);
      } catch {
        throw new UsageError(`--payload expects JSON, got "${v.payload}"`);
      }
      command = { kind: "signal", runId, nodeId: second, approved: !v.reject, payload };
      break;
    }
    default:
      throw new UsageError(`unknown command "${name}" (agent-dag --help lists them)`);
  }
  const url = v.url ?? env.AGENT_DAG_URL;
  const apiKey = v.key ?? env.AGENT_DAG_API_KEY;
  if (!url) throw new UsageError("no worker URL: set AGENT_DAG_URL or pass --url");
  if (!apiKey) throw new UsageError("no API key: set AGENT_DAG_API_KEY or pass --key");
  try {
    new URL(url);
  } catch {
    throw new UsageError(`--url / AGENT_DAG_URL is not an absolute URL: "${url}"`);
  }
  return { command, connection: { url, apiKey, json: v.json } };
}
