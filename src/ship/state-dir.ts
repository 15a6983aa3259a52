// checkpoint.state_dir, and how files in it are opened. Often run as root, the capturer must not
// become a tool for whoever can write into that directory: a symlink `positions.json.tmp ->
// /etc/passwd` once made us overwrite the target, `dead-letter.ndjson -> victim` made us append
// container output to it. So:
// - the directory is created 0700, and we refuse to start (UnsafeStateDirError, exit 2) when it
//   belongs to another user or group or others may write to it: then nobody else can plant
//   anything in it, and the rules below are a second line;
// - a temporary file has a random name and is created exclusively (O_EXCL: an existing name,
//   symlink or not, is an error), then fsynced, renamed over the target (rename replaces a
//   symlink, never follows it) and the directory fsynced;
// - a file we read or append to is opened with O_NOFOLLOW (a symlink is an error, ELOOP), and an
//   append target must be a regular file with no other hard link.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Files we create hold log lines and positions: only for us. */
export const STATE_FILE_MODE = 0o600;
export const STATE_DIR_MODE = 0o700;

/** The state directory could let another user steer our writes: the capturer does not start. */
export class UnsafeStateDirError extends Error {
  readonly code = 'UNSAFE_STATE_DIR';
  constructor(readonly stateDir: string, message: string) {
    super(message);
    this.name = 'UnsafeStateDirError';
  }
}

/**
 * Creates the state directory (0700) when it is missing; throws UnsafeStateDirError when it is
 * not a directory, belongs to another user, or is writable by its group or by others. Other
 * errors (EACCES, ENOSPC...) are thrown as they are.
 */
export async function prepareStateDir(stateDir: string): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: STATE_DIR_MODE });
  const info = await stat(stateDir);
  const where = `checkpoint.state_dir ${JSON.stringify(stateDir)}`;
  if (!info.isDirectory()) throw new UnsafeStateDirError(stateDir, `${where} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) {
    throw new UnsafeStateDirError(stateDir,
      `${where} belongs to uid ${info.uid}, not to uid ${uid} the capturer runs as: its owner could make the capturer overwrite any file it can write. ` +
      `Run chown ${uid} on it, or set state_dir to a directory that does not exist yet (the capturer creates it, mode 0700)`);
  }
  const writable = [(info.mode & 0o020) !== 0 ? 'its group' : '', (info.mode & 0o002) !== 0 ? 'others' : ''].filter((who) => who !== '');
  if (writable.length > 0) {
    throw new UnsafeStateDirError(stateDir,
      `${where} is writable by ${writable.join(' and ')} (mode ${(info.mode & 0o7777).toString(8).padStart(4, '0')}): whoever can write there could make the capturer overwrite any file it can write. ` +
      `Run chmod 700 on it, or set state_dir to a directory that does not exist yet (the capturer creates it, mode 0700)`);
  }
}

/** Replaces `path` with `data`, atomically and durably, without following any symlink. */
export async function writeFileAtomically(path: string, data: string | Buffer): Promise<void> {
  const temporary = join(dirname(path), `${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
  const file = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, STATE_FILE_MODE);
  try {
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** A temporary file of writeFileAtomically for `target` (left behind when we were killed mid-write). */
export function isTemporaryOf(target: string, name: string): boolean {
  const prefix = `${basename(target)}.`;
  return name.startsWith(prefix) && /^[0-9a-f]{16}\.tmp$/.test(name.slice(prefix.length));
}

/** Opens `path` to read; a symlink is refused (ELOOP). */
export function openForReading(path: string): Promise<FileHandle> {
  return open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
}

/**
 * Opens `path` to append, creating it 0600 (an existing file is narrowed to 0600). A symlink is
 * refused (ELOOP), and so is anything but a regular file with a single link: a hard link would
 * make us write into another file.
 */
export async function openForAppending(path: string): Promise<FileHandle> {
  const file = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, STATE_FILE_MODE);
  try {
    const info = await file.stat();
    if (!info.isFile() || info.nlink !== 1) {
      throw Object.assign(new Error(`${path} is not a regular file of its own (${info.isFile() ? `${info.nlink} hard links` : 'not a regular file'}): refusing to write into it`), { code: 'EUNSAFE' });
    }
    // A file left by an older version (0644) is narrowed; umask cannot widen ours.
    if ((info.mode & 0o777) !== STATE_FILE_MODE) await file.chmod(STATE_FILE_MODE);
  } catch (error) {
    await file.close();
    throw error;
  }
  return file;
}

async function syncDirectory(dir: string): Promise<void> {
  // The rename is durable only once the directory entry is on disk.
  let directory: FileHandle | undefined;
  try {
    directory = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    await directory.sync();
  } catch (error) {
    // Some filesystems cannot fsync a directory; the rename itself already happened.
    const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM') throw error;
  } finally {
    await directory?.close();
  }
}
