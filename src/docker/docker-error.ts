// Every failure of a Docker API call is a DockerError with a code saying what kind of failure it
// is, so callers decide by kind and never by matching message text:
//
//   DOCKER_HTTP_STATUS   the daemon answered with an error status (`statusCode`): 404 no such
//                        container, 501 a log driver that cannot be read, 500, 503, ...
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

  constructor(code: DockerErrorCode, message: string, options: { statusCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DockerError';
    this.code = code;
    this.statusCode = options.statusCode;
  }
}

/** 404: the container does not exist (any more); its log went with it. */
export function isNoSuchContainer(error: unknown): boolean {
  return error instanceof DockerError && error.code === 'DOCKER_HTTP_STATUS' && error.statusCode === 404;
}

/** 501: the container's log driver cannot be read through the API (`none`, remote drivers without dual logging). */
export function isUnreadableLogDriver(error: unknown): boolean {
  return error instanceof DockerError && error.code === 'DOCKER_HTTP_STATUS' && error.statusCode === 501;
}

/** No answer at all: the daemon is down or unreachable (as opposed to an answer we did not like). */
export function isDaemonUnreachable(error: unknown): boolean {
  return error instanceof DockerError && (error.code === 'DOCKER_UNREACHABLE' || error.code === 'DOCKER_TIMEOUT');
}
