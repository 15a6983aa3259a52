// The configuration's durations and sizes: the parsers live in src/utils/units.ts, below every
// layer, because capture reads the same notation from container labels (multiline rules).
export * from '../utils/units.js';
