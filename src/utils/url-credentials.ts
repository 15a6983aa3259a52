// The one place that hides the user information of URLs (`http://alice:S3cret@host/`) in anything
// we print: check-config's summary, configuration errors, our logs, /status and /readyz. A URL's
// user:password is a credential (the HTTP sink turns it into basic auth), and a URL that does not
// parse must not leak it either, so this works on text, not on parsed URLs.

export const REDACTED_USERINFO = '[redacted]';

/** Where a URL starts: a scheme (at most 32 characters, not inside a longer word) and `//`. */
const SCHEME = /(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,31}:\/\//gi;
/** Where a URL in free text ends. */
const URL_END = /[\s"'<>`]/;
/**
 * `alice:S3cret@host` without `//` (a URL parser takes `alice` for the scheme): a word, a colon
 * not followed by `//`, then everything up to the token's last @.
 */
const USERINFO_WITHOUT_SLASHES = /(^|[\s"'(=,])[a-z][a-z0-9+.-]{0,31}:(?!\/\/)[^\s"'<>`]*@/gi;

function parses(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** What follows `scheme://`, with anything that could be user information replaced. */
function redactAfterScheme(scheme: string, rest: string): string {
  const lastAt = rest.lastIndexOf('@');
  if (lastAt < 0) return rest;
  // The authority ends at the first / ? # or \; its user information, at its last @.
  const authorityEnd = rest.search(/[/?#\\]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const userinfoEnd = authority.lastIndexOf('@');
  if (userinfoEnd >= 0) return `${REDACTED_USERINFO}${rest.slice(userinfoEnd)}`;
  // An @ only after the authority: harmless in a URL that parses without credentials (/a@b), but
  // in one that does not parse (a password holding / ? or #) it may end the user information.
  const url = parses(`${scheme}${rest}`);
  if (url !== undefined && url.username === '' && url.password === '') return rest;
  return `${REDACTED_USERINFO}${rest.slice(lastAt)}`;
}

/**
 * `POST http://alice:S3cret@vector:8080/ failed` -> `POST http://[redacted]@vector:8080/ failed`.
 * Works on any text, on URLs that do not parse, and on `alice:S3cret@host` without a scheme.
 */
export function stripUrlCredentials(text: string): string {
  if (!text.includes('@')) return text;
  // Each URL runs from its scheme to a space, a quote, < > or the next URL (a query may hold one).
  const starts = [...text.matchAll(SCHEME)].map((match) => ({ at: match.index, scheme: match[0] }));
  let stripped = '';
  let copied = 0;
  for (const [index, { at, scheme }] of starts.entries()) {
    const restStart = at + scheme.length;
    const limit = starts[index + 1]?.at ?? text.length;
    const endInRest = text.slice(restStart, limit).search(URL_END);
    const restEnd = endInRest < 0 ? limit : restStart + endInRest;
    stripped += `${text.slice(copied, restStart)}${redactAfterScheme(scheme, text.slice(restStart, restEnd))}`;
    copied = restEnd;
  }
  stripped += text.slice(copied);
  return stripped.replace(USERINFO_WITHOUT_SLASHES, (_match, before: string) => `${before}${REDACTED_USERINFO}@`);
}

const SCHEME_AT_START = /^([a-z][a-z0-9+.-]{0,31}:\/\/)([\s\S]*)$/i;
const USERINFO_AT_START = /^[a-z][a-z0-9+.-]{0,31}:[^/]/i;

/**
 * One value meant to be a URL (a configuration value), valid or not: unlike in free text, a space
 * or a quote does not end it, so `http://alice:S3cret Pass@host/` hides the whole password.
 */
export function stripUrlValueCredentials(value: string): string {
  if (!value.includes('@')) return value;
  const withScheme = SCHEME_AT_START.exec(value);
  let stripped = value;
  if (withScheme !== null) stripped = `${withScheme[1] as string}${redactAfterScheme(withScheme[1] as string, withScheme[2] as string)}`;
  else if (USERINFO_AT_START.test(value)) stripped = `${REDACTED_USERINFO}${value.slice(value.lastIndexOf('@'))}`;
  return stripUrlCredentials(stripped); // URLs inside it (a query holding another URL)
}
