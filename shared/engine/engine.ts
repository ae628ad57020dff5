import type { BlobStore } from "../blobs/blob-store.js";
import type { Dispatcher } from "../dispatch/dispatcher.js";
import type { LlmProvider } from "../providers/provider.js";
import type { RunStore } from "../state/run-store.js";

/** Engine settings that reach `shared/` as values (never read from globals). */
export interface EngineConfig {
  /** Redis key prefix (`KEY_PREFIX`), e.g. `ad`. */
  keyPrefix: string;
  /** Seconds a finished run (and the blobs it wrote) is kept (`RUN_RETENTION_SECONDS`). */
  retentionSeconds: number;
  /** Seconds an active run's keys live at most before expiring (safety net), default 7 days. */
  activeTtlSeconds: number;
}

/** Everything the engine's steps need: state, blobs, queue, model provider, settings and a clock. */
export interface Engine {
  store: RunStore;
  blobs: BlobStore;
  dispatcher: Dispatcher;
  provider: LlmProvider;
  config: EngineConfig;
  /** Current time in ms since epoch (injectable for tests). */
  now(): number;
}
