// Byte-level text-encoding helpers for the spooler: a fast streaming UTF-8 validator and error locators.
import { isUtf8 } from 'node:buffer';

/** Length of the UTF-8 sequence a lead byte announces (1 for ASCII and for bytes that cannot start a sequence). */
function utf8SeqLen(b: number): number {
  if (b < 0xc2) return 1;
  if (b < 0xe0) return 2;
  if (b < 0xf0) return 3;
  if (b < 0xf5) return 4;
  return 1;
}

/** Returns the index of the first byte of the first ill-formed UTF-8 sequence in buf (Unicode Table 3-7), or -1; a sequence cut off by the end of buf counts as ill-formed only when final is true. */
export function findInvalidUtf8(buf: Uint8Array, final = true): number {
  const n = buf.length;
  let i = 0;
  while (i < n) {
    const b = buf[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return final ? i : -1;
      const c = buf[i + k];
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * Streaming strict UTF-8 validator built on node:buffer isUtf8 (simdutf), which is an order of magnitude faster than
 * TextDecoder({ fatal: true }) and produces no strings; sequences split across chunks are carried over (at most 3 bytes).
 */
export class Utf8StreamValidator {
  private readonly carry = Buffer.alloc(4);
  private carryLen = 0;
  /** Absolute offset of the next byte to be pushed. */
  offset = 0;

  /** Validates the next chunk and returns -1 if the input is still valid, else the absolute offset of the first bad byte. */
  push(chunk: Buffer): number {
    const base = this.offset;
    this.offset += chunk.length;
    let start = 0;
    if (this.carryLen > 0) {
      const prev = this.carryLen;
      const need = utf8SeqLen(this.carry[0]) - prev;
      const take = Math.min(need, chunk.length);
      chunk.copy(this.carry, prev, 0, take);
      this.carryLen += take;
      const seq = this.carry.subarray(0, this.carryLen);
      if (take < need) {
        const bad = findInvalidUtf8(seq, false);
        return bad === -1 ? -1 : base - prev + bad;
      }
      if (!isUtf8(seq)) return base - prev + Math.max(0, findInvalidUtf8(seq));
      this.carryLen = 0;
      start = take;
    }
    let end = chunk.length;
    let i = end - 1;
    let k = 0;
    while (i >= start && k < 3 && (chunk[i] & 0xc0) === 0x80) {
      i--;
      k++;
    }
    if (i >= start && utf8SeqLen(chunk[i]) > end - i) end = i;
    if (end > start) {
      const body = chunk.subarray(start, end);
      if (!isUtf8(body)) return base + start + Math.max(0, findInvalidUtf8(body));
    }
    if (end < chunk.length) {
      this.carryLen = chunk.copy(this.carry, 0, end);
    }
    return -1;
  }

  /** Signals the end of input and returns -1, or the offset of a multi-byte sequence truncated by the end of input. */
  end(): number {
    return this.carryLen > 0 ? this.offset - this.carryLen : -1;
  }
}

/** Decides whether a head sample is UTF-8, tolerating a sequence cut off at its end unless final is true. */
export function looksLikeUtf8(head: Buffer, final: boolean): boolean {
  const v = new Utf8StreamValidator();
  if (v.push(head) !== -1) return false;
  return !final || v.end() === -1;
}

/**
 * Locates the first byte that breaks GB18030 byte structure (1 byte 00–80, 2 bytes 81–FE + 40–7E/80–FE, 4 bytes
 * 81–FE 30–39 81–FE 30–39) and returns its index, or -1; buf must start at a character boundary (e.g. after a LF).
 */
export function findInvalidGb18030(buf: Uint8Array, final: boolean): number {
  const n = buf.length;
  let i = 0;
  while (i < n) {
    const b = buf[i];
    if (b <= 0x80) {
      i++;
      continue;
    }
    if (b === 0xff) return i;
    if (i + 1 >= n) return final ? i : -1;
    const b1 = buf[i + 1];
    if (b1 >= 0x30 && b1 <= 0x39) {
      if (i + 3 >= n) return final ? i : -1;
      const b2 = buf[i + 2];
      const b3 = buf[i + 3];
      if (b2 < 0x81 || b2 > 0xfe || b3 < 0x30 || b3 > 0x39) return i;
      i += 4;
    } else if ((b1 >= 0x40 && b1 <= 0x7e) || (b1 >= 0x80 && b1 <= 0xfe)) {
      i += 2;
    } else return i;
  }
  return -1;
}
