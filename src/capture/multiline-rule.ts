// Multiline rules: which lines of one container's stream are joined into one record (Java and
// Python stack traces, Go panics). The settings are Vector's `multiline` ones (its line_agg):
//
//   start_pattern      a line matching it, while no group is open, opens a group; any other line
//                      outside a group is a record of its own
//   condition_pattern  decides, for each later line, whether the group goes on (see `mode`)
//   mode               continue_through  lines matching the condition join; the first that does
//                                        not ends the group and is looked at anew
//                      continue_past     lines matching the condition join; the first that does
//                                        not joins too, and ends the group
//                      halt_before       lines NOT matching the condition join; the first that
//                                        matches ends the group and is looked at anew
//                      halt_with         lines NOT matching the condition join; the first that
//                                        matches joins too, and ends the group
//   timeout            a group with no new line for this long is complete
//
// A rule comes from the configuration (capture.multiline, for every container) or from a
// container's labels (log-capturer.multiline.*, key by key over the configured rule). Both are
// checked the same way; this module is that check, shared by the configuration's schema format
// and the labels, so an expression valid in one is valid in the other.
import { parseDuration } from '../utils/units.js';

export const MULTILINE_MODES = ['continue_through', 'continue_past', 'halt_before', 'halt_with'] as const;
export type MultilineMode = (typeof MULTILINE_MODES)[number];

/** The prefix of the labels that set a container's own rule: `log-capturer.multiline.start_pattern`, ... */
export const MULTILINE_LABEL_PREFIX = 'log-capturer.multiline.';
const LABEL_KEYS = ['start_pattern', 'condition_pattern', 'mode', 'timeout'] as const;
type LabelKey = (typeof LABEL_KEYS)[number];

/** Bounds of a rule's timeout, the same for the configuration (its schema) and the labels. */
export const MULTILINE_TIMEOUT_MIN = '1ms' as const;
export const MULTILINE_TIMEOUT_MAX = '1h' as const;
const TIMEOUT_MIN_MS = 1;
const TIMEOUT_MAX_MS = 3_600_000;

/** A compiled rule. */
export interface MultilineRule {
  startPattern: RegExp;
  conditionPattern: RegExp;
  mode: MultilineMode;
  timeoutMs: number;
}

/** What the configuration says (capture.multiline), plain data: patterns as written. */
export interface MultilineSettings {
  /** The rule for every container; all three set, or none (then only labels turn grouping on). */
  startPattern?: string;
  conditionPattern?: string;
  mode?: MultilineMode;
  /** capture.multiline.timeout: also the timeout of a label rule that sets none. */
  timeoutMs: number;
  /** capture.multiline.max_lines: a group reaching it is cut (and marked), whatever its rule. */
  maxLines: number;
  /** capture.multiline.max_bytes: likewise, counted as the joined message's bytes. */
  maxBytes: number;
}

/** Grouping off: no rule, the configuration's defaults (src/config/multiline-config.test.ts checks they agree). */
export const MULTILINE_OFF: MultilineSettings = Object.freeze({ timeoutMs: 1000, maxLines: 500, maxBytes: 1024 * 1024 });

/**
 * Whether a text is a regular expression we accept (JavaScript syntax, no flags), and why not.
 * The empty pattern is one: it matches every line (halt_before's usual start_pattern).
 */
export function checkPattern(text: string): { ok: true; value: RegExp } | { ok: false; reason: string } {
  try {
    return { ok: true, value: new RegExp(text) };
  } catch (error) {
    // V8 says `Invalid regular expression: /(a/: Unterminated group`: keep the part after the pattern.
    const message = error instanceof Error ? error.message : String(error);
    const reason = message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    return { ok: false, reason: `not a valid regular expression: ${reason}` };
  }
}

function isMode(text: string): text is MultilineMode {
  return (MULTILINE_MODES as readonly string[]).includes(text);
}

/** The configured rule, compiled (the configuration was validated: a failure here is a bug). */
export function configuredRule(settings: MultilineSettings): MultilineRule | undefined {
  if (settings.startPattern === undefined || settings.conditionPattern === undefined || settings.mode === undefined) return undefined;
  const start = checkPattern(settings.startPattern);
  const condition = checkPattern(settings.conditionPattern);
  if (!start.ok || !condition.ok) throw new Error('capture.multiline holds an unvalidated pattern');
  return { startPattern: start.value, conditionPattern: condition.value, mode: settings.mode, timeoutMs: settings.timeoutMs };
}

export interface ContainerRule {
  /** The rule for this container, or undefined: its lines are not grouped. */
  rule: MultilineRule | undefined;
  /** What was wrong with its labels (then they were ignored as a whole, and `rule` is the configured one). */
  problems: string[];
}

/**
 * A container's rule: its `log-capturer.multiline.*` labels over the configured rule, key by
 * key. Labels that do not make a valid, complete rule are ignored as a whole (the configured
 * rule, or none, applies) and every problem is named, so it can be reported once.
 */
export function containerRule(labels: Readonly<Record<string, string>>, settings: MultilineSettings): ContainerRule {
  const configured = configuredRule(settings);
  const given = new Map<LabelKey, string>();
  const problems: string[] = [];
  for (const [name, value] of Object.entries(labels)) {
    if (!name.startsWith(MULTILINE_LABEL_PREFIX)) continue;
    const key = name.slice(MULTILINE_LABEL_PREFIX.length);
    if ((LABEL_KEYS as readonly string[]).includes(key)) given.set(key as LabelKey, value);
    else problems.push(`label ${name}: unknown; the multiline labels are ${LABEL_KEYS.map((k) => MULTILINE_LABEL_PREFIX + k).join(', ')}`);
  }
  if (given.size === 0 && problems.length === 0) return { rule: configured, problems };

  const label = (key: LabelKey): string => MULTILINE_LABEL_PREFIX + key;
  const pattern = (key: 'start_pattern' | 'condition_pattern', fallback: RegExp | undefined): RegExp | undefined => {
    const text = given.get(key);
    if (text === undefined) return fallback;
    const checked = checkPattern(text);
    if (checked.ok) return checked.value;
    problems.push(`label ${label(key)}: ${checked.reason} (got ${JSON.stringify(text)})`);
    return undefined;
  };
  const startPattern = pattern('start_pattern', configured?.startPattern);
  const conditionPattern = pattern('condition_pattern', configured?.conditionPattern);
  let mode = configured?.mode;
  const modeText = given.get('mode');
  if (modeText !== undefined) {
    if (isMode(modeText.trim())) mode = modeText.trim() as MultilineMode;
    else {
      mode = undefined;
      problems.push(`label ${label('mode')}: expected one of ${MULTILINE_MODES.join(', ')}, got ${JSON.stringify(modeText)}`);
    }
  }
  let timeoutMs = settings.timeoutMs;
  const timeoutText = given.get('timeout');
  if (timeoutText !== undefined) {
    const parsed = parseDuration(timeoutText);
    if (!parsed.ok) problems.push(`label ${label('timeout')}: expected a duration such as 500ms or 2s, got ${JSON.stringify(timeoutText)}: ${parsed.reason}`);
    else if (parsed.value < TIMEOUT_MIN_MS || parsed.value > TIMEOUT_MAX_MS) problems.push(`label ${label('timeout')}: expected a duration from ${MULTILINE_TIMEOUT_MIN} to ${MULTILINE_TIMEOUT_MAX}, got ${JSON.stringify(timeoutText)}`);
    else timeoutMs = parsed.value;
  }
  if (problems.length === 0) {
    const missing = LABEL_KEYS.slice(0, 3).filter((key) => (key === 'start_pattern' ? startPattern : key === 'condition_pattern' ? conditionPattern : mode) === undefined);
    if (missing.length > 0) problems.push(`labels ${MULTILINE_LABEL_PREFIX}*: a rule needs ${missing.map(label).join(', ')} too (no capture.multiline rule is configured to complete it)`);
  }
  if (problems.length > 0 || startPattern === undefined || conditionPattern === undefined || mode === undefined) return { rule: configured, problems };
  return { rule: { startPattern, conditionPattern, mode, timeoutMs }, problems };
}
