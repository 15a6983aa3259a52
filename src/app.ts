// Wires docker -> capture -> ship -> server and runs until a signal. (Being assembled.)
import type { CapturerConfig } from './config/capturer-config.js';
import type { Logger } from './utils/logger.js';

/** Runs the capturer until SIGTERM/SIGINT; resolves to the process exit code. */
export function runCapturer(_config: CapturerConfig, _logger: Logger): Promise<number> {
  return Promise.reject(new Error('runCapturer is not wired yet'));
}
