import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ManifestError } from '../registry/manifest.js';
import { StoreError } from '../registry/store.js';

/** The error statuses of the HTTP API (contract.md): nothing else is ever answered for bad input. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 406 | 413 | 414 | 429 | 503;

const CODES: Record<ErrorStatus, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  413: 'payload_too_large',
  414: 'uri_too_long',
  429: 'too_many_requests',
  503: 'unavailable',
};

/** A response error: a status, a stable code, a message that never echoes raw input. */
export class ApiError extends HTTPException {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  readonly headers: Record<string, string>;

  constructor(
    status: ErrorStatus,
    message: string,
    options: {
      code?: string;
      details?: Record<string, unknown>;
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(status, { message, cause: options.cause });
    this.code = options.code ?? CODES[status];
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  toJSON(): { error: { code: string; message: string } & Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}

/** An internal failure with context prefixed and the original kept as `cause`. */
export function failure(context: string, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new Error(`${context}: ${reason}`, { cause });
}

/** The app's one `onError`: API errors as JSON; anything else logged and answered 500 without detail. */
export function onError(err: Error, c: Context): Response {
  if (err instanceof ApiError) {
    return c.json(err.toJSON(), err.status as ContentfulStatusCode, err.headers);
  }
  if (err instanceof ManifestError) {
    // What the store holds is invalid: nothing is served from it until someone repairs it.
    console.error(`weft: ${err.message}`);
    return c.json({ error: { code: 'unavailable', message: 'the manifest in the store is invalid' } }, 503, {
      'Retry-After': '30',
    });
  }
  if (err instanceof StoreError) {
    // The store failed: the client may retry; the details go to the log only.
    console.error(`weft: ${err.message}`, err.cause ?? '');
    return c.json({ error: { code: 'unavailable', message: 'storage is unavailable, retry later' } }, 503, {
      'Retry-After': '5',
    });
  }
  if (err instanceof HTTPException && err.status in CODES) {
    const status = err.status as ErrorStatus;
    return c.json({ error: { code: CODES[status], message: defaultMessage(status) } }, status);
  }
  console.error('weft: internal error:', err);
  return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
}

function defaultMessage(status: ErrorStatus): string {
  return CODES[status].replaceAll('_', ' ');
}
