/** Polls fn until it returns without throwing; on timeout, names what it waited for and the last error. */
export interface PollOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Give up at once on an error for which waiting cannot help. */
  stopOn?: (err: unknown) => boolean;
}

export async function pollUntil<T>(
  fn: () => Promise<T> | T,
  description: string,
  { timeoutMs = 10_000, intervalMs = 100, stopOn }: PollOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      lastError = err;
      if (stopOn?.(err)) throw err;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}; last error: ${reason}`);
}
