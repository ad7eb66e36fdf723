/** Domain errors carry the HTTP status they map to; the API turns them into `{"error": {code, message}}` in one place. */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}
export class BadRequest extends DomainError {
  constructor(message: string, code = "bad_request") { super(400, code, message); }
}
export class Unauthorized extends DomainError {
  constructor(message = "missing or invalid API key", headers: Record<string, string> = {}) { super(401, "unauthorized", message, headers); }
}
export class PaymentRequired extends DomainError {
  constructor(message: string) { super(402, "plan_limit", message); }
}
export class NotFound extends DomainError {
  constructor(what: string) { super(404, "not_found", `${what} not found`); }
}
export class Conflict extends DomainError {
  constructor(message: string) { super(409, "conflict", message); }
}
/**
 * A write that lost its optimistic lock (AWS): someone else wrote the record since it was read. Not the caller's
 * fault, and gone on a fresh read: code that can redo its work from its reads does so before answering 409.
 */
export class ChangedConcurrently extends Conflict {}
export class PayloadTooLarge extends DomainError {
  constructor(limit: number, what = "body") { super(413, "payload_too_large", `${what} exceeds ${limit} bytes`); }
}
export class TooManyRequests extends DomainError {
  constructor(message: string, retryAfterSeconds: number) {
    super(429, "rate_limited", message, { "retry-after": String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
}
