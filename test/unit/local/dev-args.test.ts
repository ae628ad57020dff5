import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../local/demo-args";
import { wranglerDevArgs } from "../../../local/dev";
import { DEV_PORTS, parseDevArgs } from "../../../local/dev-args";

describe("parseDevArgs", () => {
  it("defaults to the ports of wrangler.toml's dev env and 8787", () => {
    expect(parseDevArgs([])).toEqual({
      ports: { host: "127.0.0.1", redis: 8079, qstash: 8080, worker: 8787 },
      memory: false,
      verbose: false,
      help: false,
    });
    expect(DEV_PORTS).toEqual({ host: "127.0.0.1", redis: 8079, qstash: 8080, worker: 8787 });
    const toml = readFileSync(new URL("../../../wrangler.toml", import.meta.url), "utf8");
    expect(toml).toContain(`UPSTASH_REDIS_REST_URL = "http://${DEV_PORTS.host}:${DEV_PORTS.redis}"`);
    expect(toml).toContain(`QSTASH_URL = "http://${DEV_PORTS.host}:${DEV_PORTS.qstash}"`);
  });

  it("reads the three ports and the switches, in both --flag value and --flag=value forms", () => {
    expect(parseDevArgs(["--port", "9787", "--redis-port=9079", "--qstash-port", "9080", "--memory", "-h"])).toEqual({
      ports: { host: "127.0.0.1", redis: 9079, qstash: 9080, worker: 9787 },
      memory: true,
      verbose: false,
      help: true,
    });
    expect(parseDevArgs(["--port", "8081"]).ports).toEqual({ ...DEV_PORTS, worker: 8081 });
  });

  it.each([
    [["--port", "0"], 'Expected `--port` to be a port (an integer in 1..65535), got "0"'],
    [["--port", "65536"], /--port/],
    [["--redis-port", "80.5"], /--redis-port/],
    [["--qstash-port", "x"], /--qstash-port/],
    [["--port", "8080"], "Expected three different ports, got worker 8080, Redis REST 8079, QStash 8080"],
    [["--nope"], /Unknown option '--nope'/],
    [["extra"], /positional/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseDevArgs(argv)).toThrow(UsageError);
    expect(() => parseDevArgs(argv)).toThrow(message);
  });
});

describe("wranglerDevArgs", () => {
  it("serves the worker on its port and points its Upstash URLs and PUBLIC_URL at the chosen ports", () => {
    const args = wranglerDevArgs({ host: "127.0.0.1", redis: 9079, qstash: 9080, worker: 9787 });
    expect(args).toEqual(expect.arrayContaining(["dev", "--env", "dev", "--ip", "127.0.0.1", "--port", "9787"]));
    const vars = args.flatMap((a, i) => (args[i - 1] === "--var" ? [a] : []));
    expect(vars).toEqual([
      "PUBLIC_URL:http://127.0.0.1:9787",
      "UPSTASH_REDIS_REST_URL:http://127.0.0.1:9079",
      "QSTASH_URL:http://127.0.0.1:9080",
    ]);
  });

  it("uses the default ports without arguments", () => {
    expect(wranglerDevArgs()).toEqual(wranglerDevArgs(DEV_PORTS));
    expect(wranglerDevArgs()).toContain("UPSTASH_REDIS_REST_URL:http://127.0.0.1:8079");
  });
});
