#!/usr/bin/env node
// The `agent-dag` command (package.json "bin", so `npx agent-dag` works in a clone): runs the TypeScript source
// local/agent-dag/main.ts through tsx's loader. docs/cli.md documents it.
import { register } from "tsx/esm/api";

register();
await import("../local/agent-dag/main.ts");
