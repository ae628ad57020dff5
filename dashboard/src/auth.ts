/**
 * The dashboard's API key: typed once on the sign-in page, kept in `sessionStorage` (gone when the tab closes) and
 * sent as `Authorization: Bearer <key>` by the run client. The HTML shell itself needs no key.
 */

/** The `sessionStorage` entry holding the key. */
export const API_KEY_STORAGE = "agent-dag.apiKey";

/** The stored API key, or null when signed out. */
export function storedApiKey(storage: Pick<Storage, "getItem"> = sessionStorage): string | null {
  const key = storage.getItem(API_KEY_STORAGE);
  return key && key.trim() !== "" ? key : null;
}

/** Stores `key` (trimmed) for this tab. @throws TypeError when it is empty. */
export function storeApiKey(key: string, storage: Pick<Storage, "setItem"> = sessionStorage): void {
  const k = key.trim();
  if (k === "") throw new TypeError("Enter an API key");
  storage.setItem(API_KEY_STORAGE, k);
}

/** Forgets the key (sign out). */
export function clearApiKey(storage: Pick<Storage, "removeItem"> = sessionStorage): void {
  storage.removeItem(API_KEY_STORAGE);
}

/** The key for display: its last four characters after dots, e.g. `••••-key`. */
export function maskKey(key: string): string {
  return `••••${key.slice(-4)}`;
}
