/**
 * Line discipline of the serial console (pure), byte by byte, like a kernel tty in cooked mode
 * but on our side of the wire, because screen/picocom put the user's terminal in raw mode and
 * expect the far end to echo.
 *
 * - Line ends: CR, LF or CRLF (CR then LF counts once). Output line ends are the session's (CRLF).
 * - Editing: BS (0x08) and DEL (0x7F) erase one char (echo "\b \b"); ^U erases the line; ^C
 *   cancels it; TAB is a space.
 * - ANSI escape sequences (arrow keys: ESC [ A, ESC O A, ...) are swallowed silently, bounded.
 * - Anything else that is not printable ASCII (control bytes, bytes >= 0x80: line noise, a wrong
 *   baud rate) discards the line with ONE error, reported at once; bytes up to the next line end
 *   are ignored, so a burst of garbage costs one line of output per line end at most.
 * - A line longer than lineCharsMax is discarded the same way.
 * - With `echo` off (password entry) nothing typed is echoed.
 */

export type LineInput =
  | { kind: 'echo'; text: string }
  | { kind: 'line'; text: string }
  /** The current line was discarded; the session prints the message on a line of its own. */
  | { kind: 'error'; message: string }
  /** The line was cancelled (^C) or ended after a discard: the session shows the prompt again. */
  | { kind: 'reprompt' };

export const LINE_CHARS_MAX_DEFAULT = 256;
/** Longest escape sequence we swallow; a longer one is garbage (VT100 sequences are short). */
const ESCAPE_BYTES_MAX = 16;

const CR = 0x0d;
const LF = 0x0a;
const BS = 0x08;
const DEL = 0x7f;
const TAB = 0x09;
const ESC = 0x1b;
const CTRL_C = 0x03;
const CTRL_U = 0x15;

type State = 'text' | 'discard' | 'esc' | 'csi';

export class LineDiscipline {
  echo = true;
  readonly lineCharsMax: number;
  #buf = '';
  #state: State = 'text';
  #escBytes = 0;
  #afterCr = false;

  constructor(lineCharsMax = LINE_CHARS_MAX_DEFAULT) {
    if (!(Number.isInteger(lineCharsMax) && lineCharsMax >= 1)) throw new RangeError(`lineCharsMax must be >= 1, got ${lineCharsMax}`);
    this.lineCharsMax = lineCharsMax;
  }

  /** Characters typed so far on the current line. */
  get pending(): string {
    return this.#buf;
  }

  /** Process one byte; returns what it produced, in order (usually nothing or one item). */
  push(byte: number): LineInput[] {
    const afterCr = this.#afterCr;
    this.#afterCr = byte === CR;
    if (byte === LF && afterCr) return []; // the LF of a CRLF

    if (byte === CR || byte === LF) {
      const state = this.#state;
      const text = this.#buf;
      this.#reset();
      if (state === 'discard') return [{ kind: 'reprompt' }];
      return [{ kind: 'line', text }];
    }
    if (this.#state === 'discard') return [];
    if (this.#state === 'esc' || this.#state === 'csi') return this.#escape(byte);

    if (byte === ESC) {
      this.#state = 'esc';
      this.#escBytes = 1;
      return [];
    }
    if (byte === CTRL_C) {
      this.#reset();
      return [{ kind: 'echo', text: '^C\r\n' }, { kind: 'reprompt' }];
    }
    if (byte === CTRL_U) {
      const n = this.#buf.length;
      this.#buf = '';
      return this.echo && n > 0 ? [{ kind: 'echo', text: '\b \b'.repeat(n) }] : [];
    }
    if (byte === BS || byte === DEL) {
      if (this.#buf.length === 0) return [];
      this.#buf = this.#buf.slice(0, -1);
      return this.echo ? [{ kind: 'echo', text: '\b \b' }] : [];
    }
    const ch = byte === TAB ? 0x20 : byte;
    if (ch < 0x20 || ch > 0x7e) {
      return this.#discard(`unexpected byte 0x${byte.toString(16).padStart(2, '0')} (not printable ASCII); line ignored`);
    }
    if (this.#buf.length >= this.lineCharsMax) {
      return this.#discard(`line longer than ${this.lineCharsMax} characters; line ignored`);
    }
    this.#buf += String.fromCharCode(ch);
    return this.echo ? [{ kind: 'echo', text: String.fromCharCode(ch) }] : [];
  }

  /** Process bytes; the concatenation of push() results. */
  pushAll(bytes: Uint8Array): LineInput[] {
    const out: LineInput[] = [];
    for (const b of bytes) out.push(...this.push(b));
    return out;
  }

  /** Forget the current line (after a timeout, or when the session changes mode). */
  clear(): void {
    this.#reset();
  }

  #escape(byte: number): LineInput[] {
    this.#escBytes++;
    if (this.#escBytes > ESCAPE_BYTES_MAX) return this.#discard('escape sequence too long; line ignored');
    if (this.#state === 'esc') {
      // ESC [ (CSI) and ESC O (SS3, keypad/arrows in application mode) are the ones terminals send.
      if (byte === 0x5b) {
        this.#state = 'csi';
        return [];
      }
      if (byte === 0x4f) {
        this.#state = 'csi';
        return [];
      }
      return this.#discard(`unexpected escape sequence ESC 0x${byte.toString(16).padStart(2, '0')}; line ignored`);
    }
    // CSI: parameter bytes 0x30-0x3F, intermediate 0x20-0x2F, final 0x40-0x7E (ECMA-48 §5.4).
    if (byte >= 0x20 && byte <= 0x3f) return [];
    if (byte >= 0x40 && byte <= 0x7e) {
      this.#state = 'text';
      return [];
    }
    return this.#discard(`malformed escape sequence (byte 0x${byte.toString(16).padStart(2, '0')}); line ignored`);
  }

  #discard(message: string): LineInput[] {
    this.#state = 'discard';
    this.#buf = '';
    return [{ kind: 'error', message }];
  }

  #reset(): void {
    this.#buf = '';
    this.#state = 'text';
    this.#escBytes = 0;
  }
}
