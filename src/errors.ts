/** Every stable error code the platform answers with: HTTP status and a message template. */
export const ERRORS = {
  VALIDATION_FAILED: { status: 400, message: 'The request is not valid: {reason}' },
  BAD_FILTER: { status: 400, message: 'The filter could not be read: {reason}' },
  BAD_SORT: { status: 400, message: 'Cannot sort by {field}: {reason}' },
  BAD_AGGREGATE: { status: 400, message: 'The aggregate request is not valid: {reason}' },
  BAD_CURSOR: { status: 400, message: 'The cursor is not valid for this query; start again without it' },
  OFFSET_TOO_LARGE: { status: 400, message: 'offset {offset} is over the limit of {max}; page with the cursor instead' },
  UNKNOWN_FIELD: { status: 400, message: 'Dataset {dataset} has no field named {field}' },
  UNKNOWN_FORMAT: { status: 400, message: 'Unknown format {format}; use one of {allowed}' },
  SCHEMA_MISMATCH: { status: 400, message: 'The data does not match the schema of {dataset}: {reason}' },
  MALFORMED_BODY: { status: 400, message: 'The body could not be read as {format}: {reason}' },
  BAD_ENCODING: { status: 400, message: '{reason}' },
  EMPTY_BODY: { status: 400, message: 'The body is empty; send at least a header or one record' },
  MALFORMED_JSON: { status: 400, message: '{reason}' },
  BAD_PARQUET: { status: 400, message: '{reason}' },
  BAD_XLSX: { status: 400, message: '{reason}' },
  PRIMARY_KEY_REQUIRED: { status: 400, message: 'Mode {mode} needs a dataset with a primary key; {dataset} has none' },
  FIELD_EXISTS: { status: 409, message: 'Dataset {dataset} already has a field named {field}' },
  AUTH_REQUIRED: { status: 401, message: 'Sign in, or send an application token as "Authorization: Bearer xmc_…"' },
  BAD_CREDENTIALS: { status: 401, message: 'The user name or password is wrong' },
  SESSION_EXPIRED: { status: 401, message: 'Your session has ended; sign in again' },
  TOKEN_INVALID: { status: 401, message: 'The application token is not valid; check it was copied whole (xmc_<id>_<secret>)' },
  TOKEN_EXPIRED: { status: 401, message: 'Application token {id} expired at {at}; ask your organisation admin for a new one' },
  TOKEN_REVOKED: { status: 401, message: 'Application token {id} has been revoked; ask your organisation admin for a new one' },
  ACCOUNT_LOCKED: { status: 429, message: 'Too many failed sign-ins; the account is locked until {until}' },
  FORBIDDEN: { status: 403, message: 'Not allowed: {reason}' },
  CSRF_REJECTED: { status: 403, message: 'This request came from another site ({origin}); it was refused' },
  NO_GRANT: { status: 403, message: 'You have no active grant on {dataset}; request one (共享申请) and use it once approved' },
  FIELD_WITHHELD: { status: 403, message: 'Field {field} of {dataset} is not shared with you' },
  FIELD_MASKED: { status: 403, message: 'Field {field} is masked under your grant: it can be read masked, not filtered, sorted, grouped or aggregated' },
  NOT_SHAREABLE: { status: 409, message: 'Dataset {dataset} is 不予共享 (not shareable); it cannot be requested' },
  RATE_LIMITED: { status: 429, message: 'Grant {grant} allows {limit} requests a minute; retry in {retryAfter} s' },
  QUOTA_EXCEEDED: { status: 429, message: 'Grant {grant} allows {limit} rows a day and today\'s are used; retry in {retryAfter} s' },
  SQL_REFUSED: { status: 403, message: 'The SQL was refused: {reason}' },
  SQL_INVALID: { status: 400, message: 'The SQL could not be run: {reason}' },
  SQL_TIMEOUT: { status: 400, message: 'The query ran longer than {seconds} s and was stopped; narrow it or aggregate first' },
  EXPORTS_BUSY: { status: 429, message: 'Too many downloads at once: {reason}' },
  TOO_MANY_REQUESTS: { status: 429, message: 'Too many requests from {who}; retry in {retryAfter} s' },
  AUDIT_UNAVAILABLE: { status: 503, message: 'The access could not be written to the audit trail, so it was refused; retry later' },
  USER_NOT_FOUND: { status: 404, message: 'No account {id} that you may manage' },
  USER_EXISTS: { status: 409, message: 'An account named {username} already exists' },
  TOKEN_NOT_FOUND: { status: 404, message: 'No application token {id} that you may manage' },
  REQUEST_NOT_FOUND: { status: 404, message: 'No share request {id} that you may see' },
  GRANT_NOT_FOUND: { status: 404, message: 'No grant {id} that you may see' },
  BAD_TRANSITION: { status: 409, message: 'Request {id} is {status}; it cannot be {action} now' },
  DATASET_NOT_FOUND: { status: 404, message: 'No dataset with code {code}' },
  ORGANISATION_NOT_FOUND: { status: 404, message: 'No organisation with code {code}' },
  SYSTEM_NOT_FOUND: { status: 404, message: 'No connected system with code {code}' },
  BATCH_NOT_FOUND: { status: 404, message: 'No batch {batch} in dataset {dataset}' },
  NOT_FOUND: { status: 404, message: 'No route {method} {url}' },
  IDEMPOTENCY_CONFLICT: { status: 409, message: 'Idempotency-Key {key} was used for a different request on {dataset}' },
  BATCH_IN_PROGRESS: { status: 409, message: 'A batch with Idempotency-Key {key} is still being applied; retry shortly' },
  BODY_TOO_LARGE: { status: 413, message: '{reason}' },
  LINE_TOO_LONG: { status: 413, message: '{reason}' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Content-Type {type} is not accepted here' },
  LOT_NOT_FOUND: { status: 404, message: 'No parking lot {id}' },
  LOT_EXISTS: { status: 409, message: 'A parking lot with id {id} already exists' },
  LOT_CLOSED: { status: 409, message: 'Lot {lot} is closed at {window} (开放时间外); choose a time within its opening hours' },
  PARKING_FULL: { status: 409, message: 'No {spaceType} space left at {lot} for {window} (车位已满); try another time, space type or lot' },
  RESERVATION_NOT_FOUND: { status: 404, message: 'No parking reservation {id} that you may see' },
  CHECK_IN_TOO_EARLY: { status: 409, message: 'Reservation {id} can be checked in from {from} ({minutes} minutes before its window)' },
  RESERVATION_STATE: { status: 409, message: 'Reservation {id} is {status}; it cannot be {action} now' },
  LAKE_UNAVAILABLE: { status: 503, message: 'The data lake is not available: {reason}' },
  INTERNAL: { status: 500, message: 'An internal error occurred; it has been logged with id {requestId}' },
  SHARE_WINDOW_NOT_FOUND: { status: 404, message: 'No sharing window {id} at a shared lot' },
  PASS_NOT_FOUND: { status: 404, message: 'No valid off-peak pass for {plate} at lot {lot}' },
  PASS_OUTSIDE_WINDOW: { status: 409, message: 'Pass {id} allows entry only within its sharing window (错时共享时段); {at} is outside it' },
  PASS_EXISTS: { status: 409, message: '{plate} already holds pass {id} for this window at that time' },
  PASSES_SOLD_OUT: { status: 409, message: 'All {places} places of sharing window {window} are taken by passes at that time (通行证已售罄); try another window or a later start' },
  PASS_SUSPENDED: { status: 409, message: 'Pass {id} is suspended after repeated overstays (超时停车): entries are refused, and no new pass is sold for this car at this lot until it expires' },
  SETTLEMENT_NOT_FOUND: { status: 404, message: 'No settlement {id}' },
  SETTLEMENT_RETURNED: { status: 409, message: 'Settlement {id} is already recorded as returned' },
  CREDIT_ACCOUNT_NOT_FOUND: { status: 404, message: '{plate} has no pay-later account (信用停车账户)' },
  PARKING_SESSION_STATE: { status: 409, message: '{plate} {reason} at lot {lot}' },
  CREDIT_REFUSED: { status: 403, message: 'Pay-later parking (信用停车) needs a credit score of at least {min}; {plate} has {score}' },
  PARKING_NOT_CONNECTED: { status: 409, message: "The parking platform's system {system} is not registered on the hub; register it (xmcity demo, or the organisations API) first" },
  BOOKING_LIMIT: { status: 409, message: 'You already hold {active} active reservations (the limit is {limit}); cancel or use one first' },
  CREDIT_SOURCE: { status: 409, message: 'Credit scores cannot be read from dataset {dataset}: {reason}' },
  CREDIT_SUSPENDED: { status: 409, message: 'Pay-later parking for {plate} is suspended: arrears of {arrearsFen} fen are over the limit of {limitFen} fen; settle first' },
} as const satisfies Record<string, { status: number; message: string }>;

/** A stable error code. */
export type ErrorCode = keyof typeof ERRORS;

/** An error with a stable code that the HTTP layer and the CLI turn into a clear answer. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, params: Record<string, unknown> = {}, details?: Record<string, unknown>) {
    const tpl: string = ERRORS[code].message;
    super(tpl.replace(/\{(\w+)\}/g, (_, k: string) => (params[k] === undefined ? `{${k}}` : String(params[k]))));
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }
}

/** Shorthand for raising a stable error. */
export function fail(code: ErrorCode, params: Record<string, unknown> = {}, details?: Record<string, unknown>): never {
  throw new AppError(code, params, details);
}
