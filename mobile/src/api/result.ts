/** The typed outcome of every API call: screens switch on `kind` instead of catching exceptions. */

export type FieldErrors = Record<string, string>;

export type ApiOk<T> = { kind: 'ok'; data: T; status: number };
export type ApiFailure =
  | { kind: 'unauthorized'; detail: string }
  | { kind: 'forbidden'; detail: string; code: string }
  | { kind: 'not_found'; detail: string }
  | { kind: 'offline' }
  | { kind: 'validation'; detail: string; code: string; fieldErrors: FieldErrors }
  | { kind: 'conflict'; detail: string; code: string }
  | { kind: 'rate_limited'; detail: string }
  | { kind: 'server'; status: number; detail: string };

export type ApiResult<T> = ApiOk<T> | ApiFailure;

/** A short sentence for people, for any failure kind. */
export function failureMessage(failure: ApiFailure): string {
  switch (failure.kind) {
    case 'offline':
      return 'You appear to be offline. Check your connection and try again.';
    case 'unauthorized':
      return 'Your session has ended. Please sign in again.';
    case 'server':
      return failure.status >= 500
        ? 'The server had a problem. Please try again in a moment.'
        : failure.detail || `Request failed (${failure.status}).`;
    case 'rate_limited':
      return failure.detail || 'Too many attempts. Please wait a minute and try again.';
    default:
      return failure.detail;
  }
}

/** Thrown by query functions so TanStack Query sees a failure; carries the typed failure. */
export class ApiError extends Error {
  constructor(public readonly failure: ApiFailure) {
    super(failureMessage(failure));
    this.name = 'ApiError';
  }
}

/** Unwrap a result for TanStack Query: data on ok, an ApiError otherwise. */
export function unwrap<T>(result: ApiResult<T>): T {
  if (result.kind === 'ok') return result.data;
  throw new ApiError(result);
}

export function asFailure(error: unknown): ApiFailure {
  if (error instanceof ApiError) return error.failure;
  return { kind: 'server', status: 0, detail: error instanceof Error ? error.message : String(error) };
}
