// Exponential backoff with full jitter: a random wait in [0, min(max, initial * 2^attempt)).
// Full jitter spreads the retries of many capturers hitting one recovering receiver.

export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
