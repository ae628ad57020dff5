/**
 * Waits `ms` milliseconds, or rejects with `signal.reason` as soon as `signal` aborts (at once if it already has).
 * Works in workerd and Node (setTimeout + AbortSignal).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
