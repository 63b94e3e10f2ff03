import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ADDRESS } from '../../contract/address.js';
import { ROUTES } from '../../contract/paths.js';
import { commitUpload, parseCommit } from '../../registry/commit.js';
import { closeUploadLease, touchUploadLease, UPLOAD_LEASE } from '../../registry/locks.js';
import { MAX_ASKED, missingFiles, storeUpload, UploadError } from '../../registry/upload.js';
import type { AppContext } from '../context.js';
import { ApiError } from '../errors.js';
import { laterWork, requirePublisher } from '../publisher.js';
import { methodNotAllowed, nameParam } from './params.js';

/**
 * The upload lease a client carries from its `missing` question to its commit: while it is fresh,
 * garbage collection gives way, so a file uploaded for a commit is not collected before it.
 */
const LEASE_HEADER = 'Weft-Upload-Lease';

/** A lease id carried by an upload or commit; anything else (`new` included) takes no lease there. */
const leaseOf = (c: Context) => {
  const id = c.req.header(LEASE_HEADER);
  return id && UPLOAD_LEASE.test(id) ? id : undefined;
};

/** The JSON bodies of the protocol: a list of hashes, a commit naming up to 32 × 2000 files. */
const MAX_JSON_BYTES = 4 * 1024 * 1024;

const limit = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError(413, 'body larger than the upload limit');
    },
  });

/** An upload error as its 400 answer: the code says which, the details (hashes it checked) help fix it. */
function asApi(err: unknown): never {
  if (err instanceof UploadError)
    throw new ApiError(400, err.message, { code: err.code, details: err.details });
  throw err;
}

/** The request body, read whole (bounded by the limit above); a client that went away mid-body is a 400. */
async function bodyOf(c: Context): Promise<Uint8Array> {
  try {
    return new Uint8Array(await c.req.arrayBuffer());
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(400, 'the request body ended before it was whole');
  }
}

async function jsonOf(c: Context): Promise<unknown> {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(await bodyOf(c)));
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(400, 'the body must be JSON', { code: 'bad_commit' });
  }
}

/**
 * The upload protocol (docs/contract.md, "Publishing a whole build over HTTP"): ask which files the
 * server lacks, `PUT` each under its hash, then commit the module's builds in one step. Every route
 * needs the publish token, checked before any body is read.
 */
export function uploadRoutes(app: Hono, ctx: AppContext): void {
  const maxFileBytes = ctx.options.maxUploadBytes ?? 32 * 1024 * 1024;
  app.use(ROUTES.file, limit(maxFileBytes));
  app.use(ROUTES.missing, limit(MAX_JSON_BYTES));
  app.use(ROUTES.commit, limit(MAX_JSON_BYTES));

  app.post(ROUTES.missing, async (c) => {
    requirePublisher(c, ctx);
    const body = await jsonOf(c);
    const files = (body as { files?: unknown })?.files;
    if (!Array.isArray(files) || files.length > MAX_ASKED)
      throw new ApiError(400, `files must be an array of at most ${MAX_ASKED} { hash, size }`, {
        code: 'bad_commit',
      });
    for (const [i, f] of files.entries())
      if (
        typeof f?.hash !== 'string' ||
        !ADDRESS.test(f.hash) ||
        !Number.isSafeInteger(f.size) ||
        (f.size as number) < 0
      )
        throw new ApiError(400, `files[${i}] must be { hash: "sha256-<64 hex>", size: bytes }`, {
          code: 'bad_commit',
        });
    const asked = files as { hash: string; size: number }[];
    // Asked for (`new`) or carried: taken before the answer, so a file said present here stays
    // until the commit (or until the lease goes stale).
    const given = c.req.header(LEASE_HEADER);
    const lease = given ? await touchUploadLease(ctx.store, given === 'new' ? undefined : given) : undefined;
    const tooLarge = [...new Set(asked.filter((f) => f.size > maxFileBytes).map((f) => f.hash))];
    return c.json({
      missing: await missingFiles(
        ctx.store,
        asked.map((f) => f.hash),
      ),
      tooLarge,
      maxFileBytes,
      ...(lease ? { lease } : {}),
    });
  });

  app.put(ROUTES.file, async (c) => {
    requirePublisher(c, ctx);
    const hash = c.req.param('hash');
    if (!ADDRESS.test(hash)) throw new ApiError(400, 'files are named sha256-<64 lowercase hex>');
    const lease = leaseOf(c);
    if (lease) await touchUploadLease(ctx.store, lease);
    const bytes = await bodyOf(c);
    const stored = await storeUpload(ctx.store, hash, bytes).catch(asApi);
    // Fresh again after a long body: the lease's clock starts over at the last file.
    if (lease) await touchUploadLease(ctx.store, lease);
    return c.json({ hash, size: bytes.length, stored }, stored ? 201 : 200);
  });

  app.post(ROUTES.commit, async (c) => {
    requirePublisher(c, ctx);
    const module = nameParam(c, 'name');
    const request = await Promise.resolve(jsonOf(c)).then(parseCommit).catch(asApi);
    const lease = leaseOf(c);
    if (lease) await touchUploadLease(ctx.store, lease);
    const result = await commitUpload(
      ctx.store,
      module,
      request,
      ctx.options.encoders,
      laterWork(c, ctx),
    ).catch(asApi);
    // Committed: the record names the files now. (A refused commit keeps its lease for the retry.)
    if (lease) await closeUploadLease(ctx.store, lease);
    ctx.catalog.invalidate();
    return c.json(
      {
        module,
        version: result.entry.version,
        published: result.published.map(({ variant, report }) => ({
          variant,
          toolchain: report.toolchain,
          notes: report.notes,
        })),
        order: {
          variants: result.ordering.variants.map((v) => v.name),
          reasons: result.ordering.reasons,
          hidden: result.ordering.hidden,
        },
      },
      201,
    );
  });

  app.on(['GET', 'HEAD', 'POST', 'DELETE', 'PATCH'], ROUTES.file, methodNotAllowed('PUT'));
  app.on(['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH'], ROUTES.missing, methodNotAllowed('POST'));
  app.on(['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH'], ROUTES.commit, methodNotAllowed('POST'));
}
