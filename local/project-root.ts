/** The project root, with a trailing slash (this file lives in `local/`): where wrangler.toml and package.json are. */
import { fileURLToPath } from "node:url";

/** Absolute path of the project root, ending in `/`. */
export const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));
