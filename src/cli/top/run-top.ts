// `log-capturer top`: samples a running capturer's /status and /metrics and shows them. Live in a
// terminal (Ink), or one frame (--once, and whenever stdout is not a terminal) or one JSON
// snapshot (--json). Rates need two samples, so --once and --json take two, --interval apart.
//
// Why Ink: the live view needs in-place repainting, raw-mode keys, resize and a terminal given
// back intact on every way out. Ink (maintained, React-based, used by many CLIs) does all of that
// and renders a frame to a plain string for --once and for tests; hand-written escape codes would
// be more code to get wrong. Ink 6 is the line that runs on Node 20 (Ink 7 needs Node 22).
import { createElement } from 'react';
import { render } from 'ink';
import { EXIT_OK, EXIT_RUNTIME_FAILURE } from '../exit-codes.js';
import { CapturerUnreachableError, STATUS_TOKEN_ENV, displayAddress, fetchSample } from './capturer-client.js';
import type { Sample } from './capturer-client.js';
import { frameLines } from './frame-lines.js';
import { TopApp, ViewStore } from './top-app.js';
import { renderFrame } from './top-frame.js';
import type { TopOptions } from './top-options.js';
import { TopSession, sortRows } from './top-view.js';
import type { SortOrder, TopView } from './top-view.js';

/** How long one sample may take before the capturer counts as unreachable. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Frame width when stdout is not a terminal and COLUMNS does not say. */
const PIPE_WIDTH = 120;

export interface TopTerminal {
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  /** Ends the live view on these signals (default: SIGINT, SIGTERM, SIGHUP of this process). */
  onSignals?: (stop: () => void) => () => void;
}

/** Colour unless NO_COLOR is set (https://no-color.org), the terminal is dumb, or stdout is not a terminal (FORCE_COLOR overrides that last one). */
export function colorEnabled(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '0' && force !== 'false') return true;
  return isTTY;
}

function frameWidth(terminal: TopTerminal): number {
  if (terminal.stdout.isTTY && terminal.stdout.columns > 0) return terminal.stdout.columns;
  const columns = Number(terminal.env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : PIPE_WIDTH;
}

function describe(error: unknown): string {
  if (error instanceof CapturerUnreachableError) return error.message;
  return `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}

/** The --json snapshot: the frame's numbers, containers in the frame's order, unknowns as null. */
export function snapshotJson(view: TopView, order: SortOrder): string {
  const snapshot = { sampledAt: new Date(view.at).toISOString(), ...view, containers: sortRows(view.containers, order), sortedBy: order };
  return `${JSON.stringify(snapshot, (_key, value: unknown) => (value === undefined ? null : value), 2)}\n`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function defaultSignals(stop: () => void): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, stop);
  return () => {
    for (const signal of signals) process.off(signal, stop);
  };
}

export async function runTop(options: TopOptions, terminal: TopTerminal): Promise<number> {
  const address = displayAddress(options.url);
  const session = new TopSession(address);
  const sample = (): Promise<Sample> => fetchSample({ url: options.url, statusToken: terminal.env[STATUS_TOKEN_ENV], timeoutMs: REQUEST_TIMEOUT_MS });

  let first: TopView;
  try {
    first = session.update(await sample());
  } catch (error) {
    terminal.stderr.write(`log-capturer top: ${describe(error)}\n`);
    return EXIT_RUNTIME_FAILURE;
  }

  // A dumb terminal cannot move the cursor back to repaint: it gets the one frame a pipe gets.
  const live = !options.once && !options.json && terminal.stdout.isTTY === true && terminal.env.TERM !== 'dumb';
  if (!live) {
    let view: TopView;
    try {
      await sleep(options.intervalMs);
      view = session.update(await sample());
    } catch (error) {
      terminal.stderr.write(`log-capturer top: ${describe(error)}\n`);
      return EXIT_RUNTIME_FAILURE;
    }
    // `top --once | head` closes the pipe early: nothing is left to tell, and no reason for a stack.
    terminal.stdout.on('error', () => {});
    if (options.json) {
      terminal.stdout.write(snapshotJson(view, options.order));
    } else {
      const width = frameWidth(terminal);
      const color = colorEnabled(terminal.env, terminal.stdout.isTTY === true);
      terminal.stdout.write(`${renderFrame(frameLines(view, { width, order: options.order }), { width, color })}\n`);
    }
    return EXIT_OK;
  }

  const store = new ViewStore(first);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async (): Promise<void> => {
    const started = Date.now();
    try {
      const view = session.update(await sample());
      if (!stopped) store.set(view);
    } catch (error) {
      const view = session.failed(describe(error), Date.now());
      if (!stopped && view !== undefined) store.set(view);
    }
    if (!stopped) timer = setTimeout(() => void tick(), Math.max(0, options.intervalMs - (Date.now() - started)));
  };

  const app = render(createElement(TopApp, { store, color: colorEnabled(terminal.env, true), initialOrder: options.order }), {
    stdout: terminal.stdout,
    stdin: terminal.stdin,
    stderr: terminal.stderr,
    exitOnCtrlC: true,
    patchConsole: false,
  });
  const removeSignals = (terminal.onSignals ?? defaultSignals)(() => app.unmount());
  timer = setTimeout(() => void tick(), options.intervalMs);
  try {
    await app.waitUntilExit();
  } finally {
    stopped = true;
    clearTimeout(timer);
    removeSignals();
  }
  return EXIT_OK;
}
