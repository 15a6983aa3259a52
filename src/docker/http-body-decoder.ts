// The body of an HTTP/1.1 response, decoded over each socket read in one pass, in place.
//
// dockerd writes one HTTP chunk per log line. Through node:http every chunk cost an llhttp
// callback, a Readable push and a 'data' event, so a 100-byte line paid for three JS calls before
// its frame was looked at (≈ 25 % of the capturer's CPU per line, issue 13). Here a socket read
// of up to 64 KiB (hundreds of lines) is decoded in one loop: the chunk-size lines are dropped by
// moving each chunk's data down over them inside the read's own buffer (a memmove, no new
// buffer), and the frame parser gets the whole read as one contiguous body.
//
// Three framings, as RFC 9112 section 6.3 orders them: `Transfer-Encoding: chunked`, a
// `Content-Length`, or (neither) the body runs until the connection closes. Nothing the daemon
// sends can make this throw anything but an HttpBodyError, or hold more than the read it is given.

const CR = 0x0d;
const LF = 0x0a;
/** A chunk-size line longer than this (hex digits plus extensions) is not HTTP. */
const MAX_SIZE_LINE = 4096;
/** Eight hex digits: chunks up to 4 GiB - 1 (a double holds that exactly). */
const MAX_SIZE_DIGITS = 8;

export class HttpBodyError extends Error {}

const enum State {
  /** Hex digits of a chunk size. */
  Size,
  /** After the digits: chunk extensions, up to LF. */
  SizeLine,
  /** Inside a chunk's data. */
  Data,
  /** The CR (optional) and LF after a chunk's data. */
  DataEnd,
  /** After the last (zero) chunk: trailer fields up to an empty line. */
  Trailer,
  /** The body is complete; anything after it is ignored. */
  Done,
}

export type BodyFraming = { kind: 'chunked' } | { kind: 'length'; length: number } | { kind: 'close' };

export class HttpBodyDecoder {
  private state: State;
  /** Chunked: the size being read, its digit count and the size line's length. */
  private size = 0;
  private digits = 0;
  private lineBytes = 0;
  /** Data bytes left in the current chunk, or of the Content-Length body. */
  private left = 0;
  /** Trailer: bytes of the current trailer line (0: the empty line that ends the body). */
  private trailerLine = 0;

  constructor(private readonly framing: BodyFraming) {
    if (framing.kind === 'length') {
      this.left = framing.length;
      this.state = framing.length === 0 ? State.Done : State.Data;
    } else this.state = framing.kind === 'chunked' ? State.Size : State.Data;
  }

  /** The whole body was read (never true for a body that runs until the connection closes). */
  get done(): boolean {
    return this.state === State.Done;
  }

  /** The body ends only when the connection does. */
  get endsWithConnection(): boolean {
    return this.framing.kind === 'close';
  }

  /**
   * Decodes one read: returns the body bytes it held, as a view of `data` at its start (which is
   * overwritten: the read must be ours alone). Throws HttpBodyError on malformed chunking.
   */
  decode(data: Buffer): Buffer {
    if (this.framing.kind === 'close') return data;
    if (this.framing.kind === 'length') {
      if (this.state === State.Done) return data.subarray(0, 0);
      const take = Math.min(this.left, data.length);
      this.left -= take;
      if (this.left === 0) this.state = State.Done;
      return data.subarray(0, take);
    }
    return this.decodeChunked(data);
  }

  private decodeChunked(data: Buffer): Buffer {
    const n = data.length;
    let at = 0;
    let out = 0;
    while (at < n) {
      switch (this.state) {
        case State.Data: {
          const take = Math.min(this.left, n - at);
          if (out !== at) data.copyWithin(out, at, at + take);
          out += take;
          at += take;
          this.left -= take;
          if (this.left === 0) this.state = State.DataEnd;
          break;
        }
        case State.Size: {
          const byte = data[at] as number;
          at += 1;
          const digit = byte >= 0x30 && byte <= 0x39 ? byte - 0x30 : byte >= 0x61 && byte <= 0x66 ? byte - 0x57 : byte >= 0x41 && byte <= 0x46 ? byte - 0x37 : -1;
          if (digit >= 0) {
            this.digits += 1;
            if (this.digits > MAX_SIZE_DIGITS) throw new HttpBodyError('chunked encoding: a chunk size of more than 8 hex digits');
            this.size = this.size * 16 + digit;
            this.lineBytes += 1;
          } else if (this.digits === 0) {
            throw new HttpBodyError(`chunked encoding: a chunk size line starts with byte 0x${byte.toString(16).padStart(2, '0')}`);
          } else if (byte === LF) {
            this.startChunk();
          } else {
            this.lineBytes += 1;
            this.state = State.SizeLine;
          }
          break;
        }
        case State.SizeLine: {
          const lf = data.indexOf(LF, at);
          const end = lf < 0 ? n : lf;
          this.lineBytes += end - at;
          if (this.lineBytes > MAX_SIZE_LINE) throw new HttpBodyError('chunked encoding: a chunk size line longer than 4 KiB');
          at = end;
          if (lf >= 0) {
            at += 1;
            this.startChunk();
          }
          break;
        }
        case State.DataEnd: {
          const byte = data[at] as number;
          at += 1;
          if (byte === LF) this.state = State.Size;
          else if (byte !== CR) throw new HttpBodyError('chunked encoding: a chunk\'s data is not followed by CRLF');
          break;
        }
        case State.Trailer: {
          const byte = data[at] as number;
          at += 1;
          if (byte === LF) {
            if (this.trailerLine === 0) this.state = State.Done;
            this.trailerLine = 0;
          } else if (byte !== CR) {
            this.trailerLine += 1;
            if (this.trailerLine > MAX_SIZE_LINE) throw new HttpBodyError('chunked encoding: a trailer line longer than 4 KiB');
          }
          break;
        }
        case State.Done:
          return data.subarray(0, out);
      }
    }
    return data.subarray(0, out);
  }

  private startChunk(): void {
    const size = this.size;
    this.size = 0;
    this.digits = 0;
    this.lineBytes = 0;
    if (size === 0) {
      this.state = State.Trailer;
      this.trailerLine = 0;
      return;
    }
    this.left = size;
    this.state = State.Data;
  }
}
