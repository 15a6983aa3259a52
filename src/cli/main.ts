#!/usr/bin/env node
// The `log-capturer` executable (dist/cli/main.js; `npx tsx src/cli/main.ts` in development).
import { runCapturer } from '../app.js';
import { createLogger } from '../utils/logger.js';
import { runCli } from './run-cli.js';

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  createLogger: (level) => createLogger(level),
  runCapturer,
  // Loaded only for `top`: Ink and React cost the capturer about 50 MB and a second at start.
  runTop: async (options) => {
    const { runTop } = await import('./top/run-top.js');
    return runTop(options, { stdout: process.stdout, stdin: process.stdin, stderr: process.stderr, env: process.env });
  },
});
// exitCode rather than exit(): piped stdout/stderr are flushed before the process ends.
process.exitCode = code;
// A handle left open after shutdown must not keep a finished capturer alive; unref'd, so a clean
// exit does not wait for it.
setTimeout(() => process.exit(code), 5000).unref();
