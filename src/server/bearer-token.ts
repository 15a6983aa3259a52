// Bearer-token check for /status. Both sides are hashed first so the comparison takes the same
// time whatever the length or content of the presented token.
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export function bearerTokenMatches(authorizationHeader: string | undefined, expectedToken: string): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorizationHeader ?? '');
  const presented = match?.[1] ?? '';
  const equal = timingSafeEqual(digest(presented), digest(expectedToken));
  return equal && presented.length > 0;
}
