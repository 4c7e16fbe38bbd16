/** Polling for end-to-end tests: wait until something the cloud does asynchronously has happened. */
import { setTimeout as sleep } from 'node:timers/promises';

/** How long and how often {@link waitFor} polls. */
export interface WaitForOptions {
  /** Give up after this long. @default 30_000 */
  readonly timeoutMs?: number;
  /** Pause between two polls. @default 200 */
  readonly intervalMs?: number;
  /** Adds to the timeout error what the test can tell about the state it was waiting on. */
  readonly diagnose?: () => Promise<string>;
}

/**
 * Calls `poll` until it returns something other than undefined or false, and resolves to that.
 * A poll that throws counts as "not yet"; the last such error is named in the timeout error.
 */
export async function waitFor<T>(what: string, poll: () => Promise<T | undefined | false>, opts: WaitForOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await poll();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError !== undefined ? `: ${String(lastError)}` : '';
      const diag = opts.diagnose !== undefined ? `\n${await opts.diagnose().catch((e: Error) => e.message)}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}${diag}`);
    }
    await sleep(opts.intervalMs ?? 200);
  }
}
