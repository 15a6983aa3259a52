// Waits that end on progress or its absence, never on a fixed deadline a loaded machine can miss:
// the wait fails only when `progress()` has not changed for `stallMs`.

export async function waitForProgress(what: string, done: () => boolean | Promise<boolean>, progress: () => number | string, stallMs = 30_000): Promise<void> {
  let last = progress();
  let lastChange = Date.now();
  for (;;) {
    if (await done()) return;
    const now = progress();
    if (now !== last) {
      last = now;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > stallMs) {
      throw new Error(`no progress for ${stallMs} ms waiting for: ${what} (progress stuck at ${String(now)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
