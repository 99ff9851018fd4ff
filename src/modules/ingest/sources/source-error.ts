/** Stable machine-readable reasons a source body is rejected by the spooling layer. */
export type SourceErrorCode =
  | 'BODY_TOO_LARGE'
  | 'LINE_TOO_LONG'
  | 'BAD_ENCODING'
  | 'EMPTY_BODY'
  | 'MALFORMED_JSON'
  | 'BAD_PARQUET'
  | 'BAD_XLSX';

const STATUS: Record<SourceErrorCode, 400 | 413> = {
  BODY_TOO_LARGE: 413,
  LINE_TOO_LONG: 413,
  BAD_ENCODING: 400,
  EMPTY_BODY: 400,
  MALFORMED_JSON: 400,
  BAD_PARQUET: 400,
  BAD_XLSX: 400,
};

/** A problem with the submitted data (not the server), carrying an HTTP status, a stable code and structured details. */
export class SourceError extends Error {
  /** Stable reason code, safe to branch on. */
  readonly code: SourceErrorCode;
  /** HTTP status to answer with: 413 for size limits, 400 for everything else. */
  readonly status: 400 | 413;
  /** Structured context such as { offset, line, limitBytes }. */
  readonly details: Record<string, unknown>;

  constructor(code: SourceErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'SourceError';
    this.code = code;
    this.status = STATUS[code];
    this.details = details;
  }
}
