// Where a container's json-file log is on OUR filesystem.
//
// The daemon reports `LogPath` (GET /containers/{id}/json) as a path on ITS host, e.g.
// /var/lib/docker/containers/<id>/<id>-json.log, or under another --data-root. We see that
// directory wherever it is mounted (the setting `containers_dir`, e.g. /var/lib/docker/containers
// mounted read-only at /host/containers). json-file always puts a container's log at
// `<data-root>/containers/<id>/<id>-json.log` (moby: container.GetRootResourcePath), so the last
// two parts of LogPath are all that carry over: the mapping is `containers_dir/<id>/<id>-json.log`,
// whatever the host's data-root is, and a LogPath of any other shape is refused rather than
// guessed at. The id is checked before it becomes a path (it comes from the daemon, and
// positions.json), as everywhere else ids enter.
//
// Rotated files sit beside it: `<id>-json.log.1`, `.2`, … (or `.1.gz`, … with compress=true).
import { constants } from 'node:fs';
import { access, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { describeRefusedId, isContainerId } from '../container-id.js';
import { JsonFileError, fileError } from './json-file-error.js';

export interface JsonLogLocation {
  /** The container's directory under the mount: `<containers_dir>/<id>`. */
  dir: string;
  /** `<id>-json.log`: the live file; rotated ones add `.N` or `.N.gz`. */
  baseName: string;
  /** `dir/baseName`. */
  path: string;
}

/**
 * Maps a container's log under the mounted containers directory. `logPath` is the daemon's
 * `LogPath` when known (checked to have json-file's layout); without it the layout alone says
 * where the file is. Throws JsonFileError: JSON_FILE_BAD_PATH for an id or LogPath of another
 * shape, JSON_FILE_NOT_FOUND for an empty LogPath (the container does not log to json-file).
 */
export function jsonLogLocation(containersDir: string, containerId: string, logPath?: string): JsonLogLocation {
  if (!isContainerId(containerId)) throw new JsonFileError('JSON_FILE_BAD_PATH', `not a container id: ${describeRefusedId(containerId)}`);
  const baseName = `${containerId}-json.log`;
  if (logPath !== undefined) {
    if (logPath === '') throw new JsonFileError('JSON_FILE_NOT_FOUND', `container ${containerId.slice(0, 12)} has no LogPath: it does not log to json-file`);
    // Either separator: a Windows daemon reports C:\ProgramData\docker\containers\<id>\<id>-json.log.
    const parts = logPath.split(/[\\/]/);
    if (parts[parts.length - 1] !== baseName || parts[parts.length - 2] !== containerId) {
      throw new JsonFileError('JSON_FILE_BAD_PATH', `LogPath ${JSON.stringify(logPath.slice(0, 300))} of container ${containerId.slice(0, 12)} is not json-file's <containers>/<id>/<id>-json.log`);
    }
  }
  const dir = join(containersDir, containerId);
  return { dir, baseName, path: join(dir, baseName) };
}

/** The location of a log file path found on our side (tests, or a path already mapped). */
export function locationOfPath(path: string): JsonLogLocation {
  return { dir: dirname(path), baseName: basename(path), path };
}

/**
 * Whether the containers directory can be read: checked at start (the file route is chosen
 * only when it can) and shown in /status. Resolves with the error to log when it cannot.
 */
export async function probeContainersDir(containersDir: string): Promise<{ readable: true } | { readable: false; error: JsonFileError }> {
  try {
    await access(containersDir, constants.R_OK | constants.X_OK);
    await readdir(containersDir);
    return { readable: true };
  } catch (error) {
    return { readable: false, error: fileError(`read the containers directory ${containersDir}`, containersDir, error) };
  }
}
