// The live view in a real terminal: `script` (util-linux) gives the command a pseudo-terminal, as
// ssh or a terminal emulator would. Keys are typed into it, the window is resized with stty, and
// the terminal's state is read back with stty after the command has exited.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { waitFor, waitForSettled } from '../../support/wait-for.js';
import { startFakeCapturer } from './fake-capturer.js';
import type { FakeCapturer } from './fake-capturer.js';

const ROOT = new URL('../../..', import.meta.url).pathname;
const run = promisify(execFile);
/** Escape codes start with ESC (lint keeps control characters out of regex literals). */
const ESC = String.fromCharCode(27);
const ESCAPE_SEQUENCE = new RegExp(`${ESC}\\[[0-9;?]*[ -/]*[@-~]`, 'g');
const COLOUR_OR_BOLD = new RegExp(`${ESC}\\[(3\\d|9\\d|1|22|39)m`);
// Ink renders frames only at the end when it believes it runs in CI; an operator's terminal is not CI.
const TERMINAL_ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'CI' && key !== 'CONTINUOUS_INTEGRATION' && !key.startsWith('CI_')));

interface Terminal {
  /** Everything the terminal received so far, escape codes included. */
  output(): string;
  /** The visible lines received since `from` (escape codes and carriage returns removed). */
  linesSince(from: number): string[];
  type(keys: string): void;
  pts: Promise<string>;
  exited: Promise<number | null>;
  kill(): void;
}

function openTerminal(capturer: FakeCapturer, env: NodeJS.ProcessEnv = {}): Terminal {
  // `tty` names the pseudo-terminal; after top exits, its exit code and the terminal settings follow.
  const command = `tty; stty cols 100 rows 40; '${process.execPath}' --import tsx src/cli/main.ts top --url ${capturer.url} --interval 200ms; echo "EXIT=$?"; stty -a`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: ROOT,
    env: { ...TERMINAL_ENV, TERM: 'xterm-256color', LOG_CAPTURER_SERVER_STATUS_TOKEN: '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // The terminal prints its name first thing; progress is whatever it prints.
  const pts = waitFor('the terminal\'s name', {
    watch: () => ({ name: /^(\/dev\/pts\/\d+)\r?\n/.exec(output)?.[1], printed: output.length }),
    until: (o) => o.name !== undefined,
  }).then((o) => o.name as string);
  pts.catch(() => undefined); // a test that never asks for it must not see an unhandled rejection
  return {
    output: () => output,
    linesSince: (from) => output.slice(from).replace(ESCAPE_SEQUENCE, '').replace(/\r/g, '').split('\n'),
    type: (keys) => child.stdin.write(keys),
    pts,
    exited,
    kill: () => child.kill('SIGKILL'),
  };
}

/** The command's own result, printed after it exited: its exit code and the terminal's settings. */
async function afterExit(terminal: Terminal): Promise<{ exitCode: number; settings: string }> {
  const code = await waitForSettled('the terminal\'s command to end', terminal.exited, { progress: () => terminal.output().length });
  assert.equal(code, 0, terminal.output());
  const match = /EXIT=(\d+)\r?\n([\s\S]*)$/.exec(terminal.output());
  assert.ok(match, 'the command ended and the shell went on');
  return { exitCode: Number(match[1]), settings: match[2] as string };
}

const firstFrame = async (terminal: Terminal): Promise<void> => {
  await waitFor('the first frame', { watch: () => terminal.output(), until: (output) => output.includes('sorted by lag, slowest first · keys:'), progress: (output) => output.length });
};

/**
 * Ink turns raw mode on in an effect that runs after the first frame is written. A Ctrl-C typed
 * in between is a SIGINT for the whole foreground group, the test's shell included (top itself
 * ends cleanly on it), so keys are typed only once the terminal says it is in raw mode.
 */
const rawMode = async (terminal: Terminal): Promise<void> => {
  const pts = await terminal.pts;
  await waitFor('the terminal in raw mode (-icanon)', {
    watch: async () => ({ settings: (await run('stty', ['-F', pts, '-a'])).stdout, printed: terminal.output().length }),
    until: (o) => /(^|\s)-icanon(\s|$)/.test(o.settings),
    progress: (o) => o.printed,
  });
};

void describe('log-capturer top in a terminal', () => {
  void it('q ends it with exit 0 and the terminal as it was: cursor shown, line editing and echo back on', async () => {
    const capturer = await startFakeCapturer({ scenario: 'busy' });
    const terminal = openTerminal(capturer);
    try {
      await firstFrame(terminal);
      assert.ok(terminal.output().includes(`${ESC}[?25l`), 'the cursor is hidden while the view runs');
      assert.ok(terminal.output().includes(`${ESC}[32m`), 'colour in a terminal');
      await rawMode(terminal);
      terminal.type('q');
      const { exitCode, settings } = await afterExit(terminal);
      assert.equal(exitCode, 0);
      const beforeExit = terminal.output().slice(0, terminal.output().lastIndexOf('EXIT='));
      assert.ok(beforeExit.lastIndexOf(`${ESC}[?25h`) > beforeExit.lastIndexOf(`${ESC}[?25l`), 'the cursor is shown again');
      assert.match(settings, /(^|\s)icanon(\s|$)/, 'line editing back on');
      assert.match(settings, /(^|\s)echo(\s|$)/, 'echo back on');
    } finally {
      terminal.kill();
      await capturer.close();
    }
  });

  void it('Ctrl-C ends it the same way; NO_COLOR turns colour off', async () => {
    const capturer = await startFakeCapturer({ scenario: 'busy' });
    const terminal = openTerminal(capturer, { NO_COLOR: '1' });
    try {
      await firstFrame(terminal);
      await rawMode(terminal);
      terminal.type('\x03');
      const { exitCode, settings } = await afterExit(terminal);
      assert.equal(exitCode, 0);
      assert.match(settings, /(^|\s)icanon(\s|$)/);
      assert.doesNotMatch(terminal.output(), COLOUR_OR_BOLD, 'no colour or bold under NO_COLOR');
    } finally {
      terminal.kill();
      await capturer.close();
    }
  });

  void it('TERM=dumb (no cursor movement): one frame, as to a pipe, and exit 0', async () => {
    const capturer = await startFakeCapturer({ scenario: 'busy' });
    const terminal = openTerminal(capturer, { TERM: 'dumb' });
    try {
      const { exitCode } = await afterExit(terminal);
      assert.equal(exitCode, 0);
      const lines = terminal.linesSince(0);
      assert.equal(lines.filter((line) => line.startsWith('sorted by lag, slowest first')).length, 1);
      assert.ok(!lines.some((line) => line.includes('keys:')), 'no keys: nothing reads them');
    } finally {
      terminal.kill();
      await capturer.close();
    }
  });

  void it('a resized window gets frames laid out for its new width', async () => {
    const capturer = await startFakeCapturer({ scenario: 'busy' });
    const terminal = openTerminal(capturer);
    try {
      await firstFrame(terminal);
      const title = (lines: string[]): string | undefined => lines.filter((line) => /^log-capturer .*READY$/.test(line)).at(-1);
      assert.equal(title(terminal.linesSince(0))?.length, 100);
      const from = terminal.output().length;
      // Changing the size of a terminal sends SIGWINCH to the program in it, as a window manager does.
      await run('stty', ['-F', await terminal.pts, 'cols', '72', 'rows', '40']);
      const narrow = (await waitFor('a frame 72 columns wide', {
        watch: () => ({ line: title(terminal.linesSince(from)), printed: terminal.output().length }),
        until: (o) => o.line?.length === 72,
      })).line ?? '';
      assert.match(narrow, /^log-capturer 0\.1\.0 {2}up \d+s {2}http:\/\/127\.0\.0\.1:\d+ +READY$/);
      const frame = terminal.linesSince(from);
      const footer = frame.filter((line) => line.startsWith('sorted by lag')).at(-1) ?? '';
      assert.equal(footer.length, 72, `the footer is cut at the new width: ${footer}`);
      await rawMode(terminal);
      terminal.type('q');
      assert.equal((await afterExit(terminal)).exitCode, 0);
    } finally {
      terminal.kill();
      await capturer.close();
    }
  });
});
