// The process's exit codes: scripts and supervisors decide on them (restart or not), so they are
// part of the interface and documented in docs/configuration.md.

export const EXIT_OK = 0;
export const EXIT_RUNTIME_FAILURE = 1;
export const EXIT_USAGE = 2;
/** A second SIGTERM/SIGINT while shutting down: exit at once, without waiting for the flush. */
export const EXIT_SECOND_SIGNAL = 130;

export const EXIT_CODE_MEANINGS: readonly { code: number; meaning: string }[] = [
  { code: EXIT_OK, meaning: 'clean shutdown (SIGTERM or SIGINT, buffered records flushed), a valid check-config, --help or --version, top ended with q or Ctrl-C' },
  { code: EXIT_RUNTIME_FAILURE, meaning: 'runtime failure: the capturer stopped on an error it could not recover from; top could not read the capturer (message on stderr)' },
  { code: EXIT_USAGE, meaning: 'usage or configuration error: unknown flag or command, invalid configuration file, environment variable or flag value, or a checkpoint.state_dir another user owns or others may write to; every problem is printed on stderr' },
  { code: EXIT_SECOND_SIGNAL, meaning: 'a second SIGTERM or SIGINT during shutdown: exited at once; unacknowledged lines are read again on the next start' },
];
