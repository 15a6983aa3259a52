// Every reason the file route cannot read a container's log is a JsonFileError with a code, so the
// caller decides by kind (all of them mean: read this container through the API instead, from
// the last line handed on) and logs a message that says what to fix:
//
//   JSON_FILE_UNREADABLE  permission denied on the file or its directory (EACCES, EPERM): the
//                         mount is there but not readable by our user (json-file makes its
//                         files 0640 root:root; run as root or grant the group)
//   JSON_FILE_NOT_FOUND   no such file or directory: the containers directory is not mounted
//                         where configured, or the container does not log to json-file
//   JSON_FILE_GONE        the file to go on from was rotated away and deleted (or its inode now
//                         holds a newer file) before we got to it: its lines exist nowhere now
//   JSON_FILE_COMPRESSED  the file to go on from exists only compressed (`compress=true`):
//                         the API can still read it, this route does not
//   JSON_FILE_BAD_PATH    the daemon's LogPath does not have json-file's layout
//                         (`…/<id>/<id>-json.log`), so it cannot be mapped under the mount
//   JSON_FILE_IO          any other error of the filesystem

export type JsonFileErrorCode =
  | 'JSON_FILE_UNREADABLE'
  | 'JSON_FILE_NOT_FOUND'
  | 'JSON_FILE_GONE'
  | 'JSON_FILE_COMPRESSED'
  | 'JSON_FILE_BAD_PATH'
  | 'JSON_FILE_IO';

export class JsonFileError extends Error {
  readonly code: JsonFileErrorCode;
  /** The file or directory concerned (a path under the mount; never holds secrets). */
  readonly path: string | undefined;

  constructor(code: JsonFileErrorCode, message: string, options: { path?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'JsonFileError';
    this.code = code;
    this.path = options.path;
  }
}

/** The errno code of a Node filesystem error, if it is one. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A filesystem error as a JsonFileError: `doing` says what was being done ("open …"). */
export function fileError(doing: string, path: string, error: unknown): JsonFileError {
  if (error instanceof JsonFileError) return error;
  const code = errnoCode(error);
  const reason = error instanceof Error ? error.message : String(error);
  if (code === 'EACCES' || code === 'EPERM') {
    return new JsonFileError('JSON_FILE_UNREADABLE', `${doing}: permission denied (${code}); the file route needs read access to the containers directory, falling back to the API`, { path, cause: error });
  }
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new JsonFileError('JSON_FILE_NOT_FOUND', `${doing}: no such file (${code}); is the containers directory mounted there, and does the container log to json-file?`, { path, cause: error });
  }
  return new JsonFileError('JSON_FILE_IO', `${doing}: ${reason}`, { path, cause: error });
}
