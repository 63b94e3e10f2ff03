import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { InspectError } from '../inspect/index.js';
import { ProfileError } from '../profile/codec.js';
import { BlobError } from '../registry/blob-read.js';
import { DeclarationError } from '../registry/declaration.js';
import { GcError } from '../registry/gc-refs.js';
import { PublishError } from '../registry/plan.js';
import { ManifestError } from '../registry/schema.js';
import { StoreError } from '../registry/store.js';
import { VersionError } from '../registry/versions.js';

/** What the registry's versions refuse, as statuses (docs/api-errors.md). */
const VERSION_STATUS: Record<VersionError['code'], ErrorStatus> = {
  version_exists: 409,
  version_current: 409,
  no_such_version: 404,
  no_such_module: 404,
  version_removed: 410,
};

/**
 * How long a client is told to wait before retrying (seconds), by why: a busy store or gc clears
 * quickly; an invalid record or a missing blob waits for a repair; a corrupted blob longer still.
 */
const RETRY_AFTER = { busy: '5', invalid: '30', missing: '30', corrupt: '60' } as const;
const retryAfter = (why: keyof typeof RETRY_AFTER) => ({ headers: { 'Retry-After': RETRY_AFTER[why] } });

/** The error statuses of the HTTP API (contract.md): nothing else is ever answered for bad input. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 406 | 409 | 410 | 413 | 414 | 429 | 503;

const CODES: Record<ErrorStatus, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  410: 'gone',
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

/** The app's one `onError`: API errors as JSON; anything else logged and answered 500 without detail. */
export function onError(err: Error, c: Context): Response {
  if (err instanceof ApiError) {
    return c.json(err.toJSON(), err.status as ContentfulStatusCode, err.headers);
  }
  const domain = asApiError(err);
  if (domain) return onError(domain, c);
  if (err instanceof HTTPException && err.status in CODES) {
    const status = err.status as ErrorStatus;
    return c.json({ error: { code: CODES[status], message: defaultMessage(status) } }, status);
  }
  console.error('weft: internal error:', err);
  return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
}

/**
 * Domain errors as HTTP, in one table: what the request got wrong is a 400 with its code (the
 * messages name fields, never echo input); what the store holds or does is a 503 the client may
 * retry, its details in the log only.
 */
function asApiError(err: Error): ApiError | undefined {
  if (err instanceof ProfileError) return new ApiError(400, err.message, { code: 'bad_profile' });
  if (err instanceof InspectError)
    return new ApiError(400, `not a valid WebAssembly binary: ${err.message}`, { code: 'bad_wasm' });
  if (err instanceof DeclarationError) return new ApiError(400, err.message, { code: 'bad_declaration' });
  if (err instanceof VersionError)
    return new ApiError(VERSION_STATUS[err.code], err.message, {
      code: err.code === 'no_such_module' ? 'not_found' : err.code,
    });
  if (err instanceof PublishError) return new ApiError(400, err.message, { code: 'too_many_variants' });
  // gc did not run: the store is busy (try again) or holds a record gc cannot read (repair it first).
  if (err instanceof GcError)
    return new ApiError(409, err.message, {
      code: err.code,
      ...(err.code === 'gc_busy' ? retryAfter('busy') : {}),
    });
  if (err instanceof ManifestError) {
    // A record the store holds is invalid: nothing is served from it until someone repairs it.
    console.error(`weft: ${err.message}`);
    return new ApiError(503, 'a record in the store is invalid', retryAfter('invalid'));
  }
  if (err instanceof BlobError) {
    // A blob a record names is gone or not its bytes: never served, logged for whoever repairs it.
    console.error(`weft: ${err.message}`);
    return err.code === 'blob_missing'
      ? new ApiError(503, 'a blob named by the manifest is missing from the store', retryAfter('missing'))
      : new ApiError(503, 'a stored blob failed its integrity check', retryAfter('corrupt'));
  }
  if (err instanceof StoreError) {
    console.error(`weft: ${err.message}`, err.cause ?? '');
    return new ApiError(503, 'storage is unavailable, retry later', retryAfter('busy'));
  }
  return undefined;
}

function defaultMessage(status: ErrorStatus): string {
  return CODES[status].replaceAll('_', ' ');
}
