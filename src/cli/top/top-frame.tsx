// The Ink side of a frame: frame-lines.ts decides every character; this only paints them, and
// only when colour is on (NO_COLOR, a pipe or TERM=dumb turn it off: then no escape code is written).
import { Box, Text, renderToString } from 'ink';
import type { ReactElement } from 'react';
import type { Line } from './frame-lines.js';

export interface FrameProps {
  lines: readonly Line[];
  color: boolean;
}

export function Frame({ lines, color }: FrameProps): ReactElement {
  return (
    <Box flexDirection="column">
      {lines.map((line, row) => (
        <Text key={row} wrap="truncate-end">
          {line.length === 0 ? ' ' : line.map((s, i) => (color && (s.color !== undefined || s.bold === true)
            ? <Text key={i} {...(s.color !== undefined ? { color: s.color } : {})} bold={s.bold === true}>{s.text}</Text>
            : s.text))}
        </Text>
      ))}
    </Box>
  );
}

/** One frame as a string, `width` columns wide: --once, and the tests. */
export function renderFrame(lines: readonly Line[], options: { width: number; color: boolean }): string {
  return renderToString(<Frame lines={lines} color={options.color} />, { columns: options.width });
}
