// `log-capturer check-config FILE`: the whole loading path (file, environment, flags) without
// starting anything, for CI and for editing a config with confidence.
import type { CapturerConfig } from '../config/capturer-config.js';
import { formatDuration } from '../config/units.js';

/** `plugin-config/log-capturer.yaml: valid (sink vector -> http://127.0.0.1:8080/, 100 streams, rotation 5m)` */
export function configSummary(file: string, config: CapturerConfig): string {
  const sink = config.sink.url === undefined ? `sink ${config.sink.type}` : `sink ${config.sink.type} -> ${config.sink.url}`;
  const streams = config.capture.maxStreams === 1 ? '1 stream' : `${config.capture.maxStreams} streams`;
  return `${file}: valid (${sink}, ${streams}, rotation ${formatDuration(config.capture.rotationIntervalMs)})`;
}
