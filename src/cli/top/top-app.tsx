// The live view: Ink repaints the frame in place at every sample, re-lays it out when the
// terminal is resized, reads keys in raw mode and gives the terminal back as it found it (cursor
// shown, raw mode off) when it exits on `q`, Esc or Ctrl-C.
import { useApp, useInput, useStdin, useStdout } from 'ink';
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { ReactElement } from 'react';
import { frameLines } from './frame-lines.js';
import { Frame } from './top-frame.js';
import type { SortKey, SortOrder, TopView } from './top-view.js';

/** The latest view, for React to subscribe to (the sampling loop lives outside React). */
export class ViewStore {
  private readonly listeners = new Set<() => void>();

  constructor(private view: TopView) {}

  readonly get = (): TopView => this.view;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  set(view: TopView): void {
    this.view = view;
    for (const listener of this.listeners) listener();
  }
}

const SORT_BY_KEY: Record<string, SortKey> = { l: 'lag', r: 'rate', n: 'name' };

export interface TopAppProps {
  store: ViewStore;
  color: boolean;
  initialOrder: SortOrder;
}

export function TopApp({ store, color, initialOrder }: TopAppProps): ReactElement {
  const view = useSyncExternalStore(store.subscribe, store.get);
  const [order, setOrder] = useState(initialOrder);
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const { stdout } = useStdout();
  const [size, setSize] = useState({ columns: stdout.columns, rows: stdout.rows });

  useEffect(() => {
    const onResize = (): void => setSize({ columns: stdout.columns, rows: stdout.rows });
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);

  useInput((input, key) => {
    if (input === 'q' || key.escape) {
      exit();
      return;
    }
    const sortKey = SORT_BY_KEY[input];
    if (sortKey !== undefined) setOrder((current) => ({ key: sortKey, reversed: current.key === sortKey ? !current.reversed : false }));
  }, { isActive: isRawModeSupported });

  // One line short of the screen: a frame as tall as the terminal makes Ink clear it at every repaint.
  const height = size.rows !== undefined && size.rows > 0 ? size.rows - 1 : undefined;
  const lines = frameLines(view, { width: size.columns !== undefined && size.columns > 0 ? size.columns : 80, height, order, showKeys: isRawModeSupported });
  return <Frame lines={lines} color={color} />;
}
