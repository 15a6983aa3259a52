// Where to resume reading a container's json-file log: exact, and O(1) to reach.
//
// A position names one file by identity (not by name: json-file renames its files as it rotates
// them) and a byte offset in it where an entry starts. Resuming opens that file, seeks to the
// offset, reads on (into the files rotated after it, then the live one) and drops the first
// `skip` complete lines. Why `skip`: a long line is written as several 16 KiB entries, and the
// other stream's lines may land between them; until its last piece arrives the line cannot be
// handed on, and the offset must stay at its FIRST piece (or a position taken now would lose
// it). Lines of the other stream completed meanwhile were handed on, so a resume from that
// offset reads them again: `skip` counts them. Reading from a fixed offset in a fixed file is
// deterministic, so "the first `skip` lines" are exactly those, for a position taken at any
// moment (the same idea as capture/position.ts's pin, with bytes instead of timestamps).
//
// The identity is (dev, ino) plus the time of the file's first entry: ext4 hands a freed inode
// to the next new file at once, and json-file deletes and creates files as it rotates, so a
// position's inode may name a NEWER file by the time we come back. The first entry's time tells
// them apart. (dev is checked only when that time is not known yet: device numbers of some
// filesystems, btrfs or LVM, may change across a reboot while the files stay the same.)
//
// Plain data, persisted as JSON: dev and ino are decimal strings (64-bit values a JS number
// cannot hold exactly).

export interface FilePosition {
  /** st_dev of the file, decimal. */
  dev: string;
  /** st_ino of the file, decimal. */
  ino: string;
  /** Canonical time of the file's first entry ('' when none had been read): tells a reused inode apart. */
  firstEntryTime: string;
  /** Byte offset of the start of an entry in that file. */
  offset: number;
  /** Complete lines at or after `offset` that were already handed on. */
  skip: number;
}

/** One log file as the decoder and the reader know it. `firstEntryTime` is filled once its first entry is read. */
export interface LogFileIdentity {
  readonly dev: string;
  readonly ino: string;
  firstEntryTime: string;
}

export function isFilePosition(value: unknown): value is FilePosition {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.dev === 'string' && /^\d+$/.test(v.dev) &&
    typeof v.ino === 'string' && /^\d+$/.test(v.ino) &&
    typeof v.firstEntryTime === 'string' &&
    typeof v.offset === 'number' && Number.isSafeInteger(v.offset) && v.offset >= 0 &&
    typeof v.skip === 'number' && Number.isSafeInteger(v.skip) && v.skip >= 0
  );
}

export function samePosition(a: FilePosition, b: FilePosition): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.firstEntryTime === b.firstEntryTime && a.offset === b.offset && a.skip === b.skip;
}
