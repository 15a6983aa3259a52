// Every failure of a Docker API call is a DockerError with a code saying what kind of failure it
// is, so callers decide by kind and never by matching message text:
//
//   DOCKER_HTTP_STATUS   the daemon answered with an error status (`statusCode`, and `reason`
//                        when it gave one): 404 no such container, 501 a log driver that cannot
//                        be read (Podman: 500 with a reason saying so), 500, 503, ...
//   DOCKER_TIMEOUT       no answer within docker.request_timeout
//   DOCKER_UNREACHABLE   no connection (refused, reset, no such socket, TLS failure)
//   DOCKER_PROTOCOL      an answer we cannot use (not JSON, not a list, no response stream)
//   DOCKER_INVALID_ID    a container id that is not 64 hex characters: refused before any request
//   DOCKER_CONFIG        docker.host cannot be used (unsupported scheme, unreadable TLS file)
//
// Messages name what was being done and never hold credentials (docker.host user information
// is not part of them).

export type DockerErrorCode =
  | 'DOCKER_HTTP_STATUS'
  | 'DOCKER_TIMEOUT'
  | 'DOCKER_UNREACHABLE'
  | 'DOCKER_PROTOCOL'
  | 'DOCKER_INVALID_ID'
  | 'DOCKER_CONFIG';

export class DockerError extends Error {
  readonly code: DockerErrorCode;
  /** The daemon's HTTP status, for DOCKER_HTTP_STATUS only. */
  readonly statusCode: number | undefined;
  /** The daemon's own short reason, when its answer had one (Podman's JSON `cause`). */
  readonly reason: string | undefined;

  constructor(code: DockerErrorCode, message: string, options: { statusCode?: number; reason?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DockerError';
    this.code = code;
    this.statusCode = options.statusCode;
    this.reason = options.reason;
  }
}

/** Podman's `cause` for a container whose log cannot be read (its define.ErrNoLogs), answered with 500. */
export const PODMAN_NO_LOGS = 'this container is not logging output';

/** 404: the container does not exist (any more); its log went with it. */
export function isNoSuchContainer(error: unknown): boolean {
  return error instanceof DockerError && error.code === 'DOCKER_HTTP_STATUS' && error.statusCode === 404;
}

/**
 * The container's log driver cannot be read through the API (`none`, remote drivers without dual
 * logging): Docker answers 501, Podman 500 with the cause "this container is not logging output".
 */
export function isUnreadableLogDriver(error: unknown): boolean {
  if (!(error instanceof DockerError) || error.code !== 'DOCKER_HTTP_STATUS') return false;
  return error.statusCode === 501 || (error.statusCode === 500 && error.reason === PODMAN_NO_LOGS);
}

/** No answer at all: the daemon is down or unreachable (as opposed to an answer we did not like). */
export function isDaemonUnreachable(error: unknown): boolean {
  return error instanceof DockerError && (error.code === 'DOCKER_UNREACHABLE' || error.code === 'DOCKER_TIMEOUT');
}
