// Streaming splitter that turns a top-level JSON array of objects into NDJSON without parsing the whole body.
import { SourceError } from './source-error.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACK = 0x5b;
const RBRACK = 0x5d;
const COMMA = 0x2c;

// Parser states (plain numbers rather than a const enum so every TS transpiler handles them).
const START = 0; // before the first non-whitespace byte
const VALUE_OR_END = 1; // just after '['
const VALUE = 2; // just after ','
const AFTER_VALUE = 3; // after an element, expecting ',' or ']'
const IN_ELEMENT = 4; // inside a top-level object
const BETWEEN = 5; // object-sequence mode: between top-level objects
const DONE = 6; // after the closing ']'

function isWs(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function isBare(b: number): boolean {
  return b !== LBRACE && b !== RBRACE && b !== LBRACK && b !== RBRACK && b !== COMMA && b !== 0x3a && b !== QUOTE && !isWs(b);
}

function show(b: number): string {
  return b >= 0x21 && b <= 0x7e ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, '0')}`;
}

/**
 * Splits a JSON body into one compact line per top-level object, tracking only string/escape/depth state per byte and
 * validating each element with JSON.parse; accepts `[{...}, ...]` and, leniently, a bare sequence of objects (`{...}` or NDJSON).
 */
export class JsonArraySplitter {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private len = 0;
  private elStart = -1;
  private completedEnd = 0;
  private state = START;
  private arrayMode = false;
  private depth = 0;
  private inStr = false;
  private esc = false;
  private pendingWs = false;
  private elOffset = 0;
  /** Number of objects emitted so far. */
  elements = 0;
  /** Absolute input offset of the next byte (the caller may pre-set it to skip a BOM). */
  offset = 0;

  constructor(private readonly maxElementBytes: number) {}

  /** Consumes the next chunk and returns the NDJSON bytes of the objects it completed (a view valid until the next call). */
  push(chunk: Buffer): Buffer {
    if (this.elStart > 0) {
      this.buf.copyWithin(0, this.elStart, this.len);
      this.len -= this.elStart;
      this.elStart = 0;
    } else if (this.elStart === -1) {
      this.len = 0;
    }
    this.completedEnd = 0;
    const need = this.len + 2 * chunk.length + 2;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    const base = this.offset;
    this.offset += chunk.length;
    const buf = this.buf;
    const n = chunk.length;
    let len = this.len;
    // Hot state lives in locals; it is written back before anything that can throw or that reads the fields.
    let state = this.state;
    let depth = this.depth;
    let inStr = this.inStr;
    let esc = this.esc;
    let pendingWs = this.pendingWs;
    const sync = (): void => {
      this.len = len;
      this.state = state;
      this.depth = depth;
      this.inStr = inStr;
      this.esc = esc;
      this.pendingWs = pendingWs;
    };
    let i = 0;
    while (i < n) {
      if (state === IN_ELEMENT) {
        if (inStr) {
          if (esc) {
            buf[len++] = chunk[i++];
            esc = false;
            continue;
          }
          // Copy the run up to the next '"' or '\' (short runs byte by byte: Buffer#copy has a fixed call cost).
          let j = i;
          while (j < n) {
            const c = chunk[j];
            if (c === QUOTE || c === BACKSLASH) break;
            j++;
          }
          if (j - i > 64) len += chunk.copy(buf, len, i, j);
          else for (let k = i; k < j; k++) buf[len++] = chunk[k];
          if (j === n) {
            i = n;
            break;
          }
          const c = chunk[j];
          buf[len++] = c;
          i = j + 1;
          if (c === BACKSLASH) esc = true;
          else inStr = false;
          continue;
        }
        const b = chunk[i++];
        // Whitespace outside strings is dropped so every element becomes one line, except that one space is kept
        // between two bare tokens ("1 2" must stay invalid rather than become 12).
        if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) {
          pendingWs = true;
          continue;
        }
        if (pendingWs) {
          pendingWs = false;
          if (isBare(b) && isBare(buf[len - 1])) buf[len++] = 0x20;
        }
        buf[len++] = b;
        if (b === QUOTE) inStr = true;
        else if (b === LBRACE || b === LBRACK) depth++;
        else if ((b === RBRACE || b === RBRACK) && --depth === 0) {
          state = this.arrayMode ? AFTER_VALUE : BETWEEN;
          sync();
          this.completeElement();
          len = this.len;
        }
        continue;
      }
      const b = chunk[i++];
      if (isWs(b)) continue;
      const at = base + i - 1;
      sync();
      switch (state) {
        case START:
          if (b === LBRACK) {
            this.arrayMode = true;
            state = VALUE_OR_END;
          } else if (b === LBRACE) {
            len = this.begin(len, at);
            state = IN_ELEMENT;
            depth = 1;
            inStr = esc = pendingWs = false;
          } else {
            throw new SourceError(
              'MALFORMED_JSON',
              `The JSON body must be an array of objects like [{"column": 1}, ...] but it starts with ${show(b)} at byte offset ${at}. ` +
                `Send a JSON array of objects, or use format 'ndjson' for one object per line.`,
              { offset: at },
            );
          }
          break;
        case VALUE_OR_END:
        case VALUE:
        case BETWEEN:
          if (b === LBRACE) {
            len = this.begin(len, at);
            state = IN_ELEMENT;
            depth = 1;
            inStr = esc = pendingWs = false;
          } else if (state === BETWEEN) {
            throw new SourceError(
              'MALFORMED_JSON',
              `Expected another top-level object after object ${this.elements} but found ${show(b)} at byte offset ${at}. ` +
                `Send either one JSON array of objects or one object per line.`,
              { offset: at, element: this.elements },
            );
          } else if (b === RBRACK && state === VALUE_OR_END) state = DONE;
          else if (b === RBRACK) {
            throw new SourceError(
              'MALFORMED_JSON',
              `The JSON array has a trailing comma before ']' at byte offset ${at}. Remove the comma after the last object.`,
              { offset: at, element: this.elements },
            );
          } else {
            throw new SourceError(
              'MALFORMED_JSON',
              `Element ${this.elements + 1} of the JSON array (byte offset ${at}) starts with ${show(b)} and is not an object. ` +
                `Every element must be a JSON object like {"column": value}; wrap plain values in objects.`,
              { offset: at, element: this.elements + 1 },
            );
          }
          break;
        case AFTER_VALUE:
          if (b === COMMA) state = VALUE;
          else if (b === RBRACK) state = DONE;
          else {
            throw new SourceError(
              'MALFORMED_JSON',
              `Expected ',' or ']' after element ${this.elements} of the JSON array but found ${show(b)} at byte offset ${at}. ` +
                `Check for a missing comma between objects.`,
              { offset: at, element: this.elements },
            );
          }
          break;
        default:
          throw new SourceError(
            'MALFORMED_JSON',
            `Unexpected ${show(b)} at byte offset ${at} after the end of the JSON array. The body must contain exactly one array; remove the trailing data.`,
            { offset: at },
          );
      }
    }
    sync();
    if (this.elStart !== -1 && len - this.elStart > this.maxElementBytes) this.tooLong();
    return buf.subarray(0, this.completedEnd);
  }

  /** Verifies that the body ended at a clean boundary; throws MALFORMED_JSON (truncated) or EMPTY_BODY otherwise. */
  end(): void {
    if (this.state === DONE || (this.state === BETWEEN && !this.arrayMode)) return;
    if (this.state === START) {
      throw new SourceError('EMPTY_BODY', 'The JSON body is empty or contains only whitespace. Send a JSON array of objects.', {});
    }
    throw new SourceError(
      'MALFORMED_JSON',
      `The JSON body ended at byte offset ${this.offset} before the ${this.state === IN_ELEMENT ? `object started at byte offset ${this.elOffset}` : 'array'} was closed ` +
        `(${this.elements} complete objects). The upload is probably truncated; make sure the whole file was sent and ends with '${this.arrayMode ? ']' : '}'}'.`,
      { offset: this.offset, element: this.elements + (this.state === IN_ELEMENT ? 1 : 0) },
    );
  }

  private begin(len: number, at: number): number {
    this.elStart = len;
    this.elOffset = at;
    this.buf[len] = LBRACE;
    return len + 1;
  }

  private completeElement(): void {
    const size = this.len - this.elStart;
    if (size > this.maxElementBytes) this.tooLong();
    const text = this.buf.toString('utf8', this.elStart, this.len);
    try {
      JSON.parse(text);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new SourceError(
        'MALFORMED_JSON',
        `Object ${this.elements + 1} of the JSON body (starting at byte offset ${this.elOffset}) is not valid JSON: ${reason}. Fix that object and upload again.`,
        { offset: this.elOffset, element: this.elements + 1 },
      );
    }
    this.elements++;
    this.buf[this.len++] = 0x0a;
    this.elStart = -1;
    this.completedEnd = this.len;
  }

  private tooLong(): never {
    throw new SourceError(
      'LINE_TOO_LONG',
      `Object ${this.elements + 1} of the JSON body (starting at byte offset ${this.elOffset}) is larger than the limit of ${this.maxElementBytes} bytes. ` +
        `Split very large objects into several rows, or ask an administrator to raise the line limit.`,
      { offset: this.elOffset, element: this.elements + 1, limitBytes: this.maxElementBytes },
    );
  }
}
