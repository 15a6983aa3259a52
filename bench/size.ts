// Sizes on the bench's command line, written like the config file's: 512, 64KiB, 8MiB, 10MB.
const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

export function parseSize(text: string): number {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  const unit = UNITS[(match?.[2] ?? '').toLowerCase()];
  if (!match || unit === undefined) throw new Error(`expected a size such as 8MiB or 1048576, got "${text}"`);
  return Number(match[1]) * unit;
}
