import { expect } from 'vitest';
import type { Answer, Req } from './clients.js';
import { decoded } from './clients.js';
import { hexOf } from './fixtures.js';
import { DECOY_MODULE } from './sandbox.js';

// --- the oracle -------------------------------------------------------------------------------------

/** The error statuses weft answers (contract.md, plus 429 from docs/api-errors.md). */
export const ERROR_STATUSES = [400, 401, 403, 404, 405, 406, 413, 414, 429, 503];
const OK_STATUSES = [200, 201, 204, 206, 304];

/** What a well-formed name the server reports back (`profile.unknown`) may look like. */
const REPORTABLE = /^(?:[a-z0-9][a-z0-9-]{0,63}|bit-\d+)$/;

/** Removes the one echo the contract asks for (unknown capability names, reported back) after checking its form. */
function withoutSanctionedEcho(json: unknown): unknown {
  if (typeof json !== 'object' || json === null) return json;
  const copy = structuredClone(json) as Record<string, Record<string, unknown>>;
  for (const holder of [copy.profile, (copy.error as Record<string, unknown> | undefined)?.profile]) {
    if (holder && typeof holder === 'object' && 'unknown' in holder) {
      const unknown = (holder as { unknown: unknown }).unknown;
      expect(Array.isArray(unknown)).toBe(true);
      for (const name of unknown as string[]) expect(name).toMatch(REPORTABLE);
      delete (holder as { unknown?: unknown }).unknown;
    }
  }
  return copy;
}

export interface Published {
  /** Published identity bytes by lowercase hex SHA-256. */
  blobs: Map<string, Uint8Array>;
}

export function publishedOf(...all: Uint8Array[]): Published {
  return { blobs: new Map(all.map((b) => [hexOf(b), b])) };
}

/**
 * What every answer to any input must satisfy: a documented status; errors as JSON
 * `{"error":{"code","message"}}` (503 and 429 with Retry-After); no taint echoed in the body or
 * headers; wasm bodies exactly one published blob (decoded), or an exact slice of one (206);
 * nothing from outside the store.
 */
export function expectSafe(answer: Answer, req: Req, published: Published, taints: string[] = []): void {
  const where = `${req.method ?? 'GET'} ${req.path.slice(0, 200)} → ${answer.status}`;
  expect([...OK_STATUSES, ...ERROR_STATUSES], where).toContain(answer.status);
  const head = req.method === 'HEAD';
  const type = answer.headers.get('content-type') ?? '';
  const text = new TextDecoder().decode(answer.body);

  if (answer.status >= 400) {
    if ([429, 503].includes(answer.status)) expect(answer.headers.get('retry-after'), where).toMatch(/^\d+$/);
    if (!head) {
      expect(type, where).toMatch(/^application\/json/);
      const json = JSON.parse(text) as { error: { code: unknown; message: unknown } };
      expect(typeof json.error.code, where).toBe('string');
      expect(typeof json.error.message, where).toBe('string');
    }
  }
  if (!head && type === 'application/wasm' && answer.status === 200) {
    const bytes = decoded(answer);
    const hex = hexOf(bytes);
    expect(published.blobs.has(hex), `${where}: served bytes are a published blob`).toBe(true);
    const digest = Buffer.from(hex, 'hex').toString('base64');
    expect(answer.headers.get('content-digest')).toBe(`sha-256=:${digest}:`);
  }
  if (!head && answer.status === 206) {
    const blob = /^"sha256-([0-9a-f]{64})"$/.exec(answer.headers.get('etag') ?? '')?.[1] ?? '';
    const whole = published.blobs.get(blob);
    expect(whole, `${where}: a range of a published blob`).toBeDefined();
    const [, a, b, size] = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(answer.headers.get('content-range') ?? '') ?? [];
    expect(Number(size)).toBe(whole!.length);
    expect(Buffer.from(answer.body).equals(Buffer.from(whole!.subarray(Number(a), Number(b) + 1)))).toBe(
      true,
    );
  }
  if (answer.status === 304 || answer.status === 204) expect(answer.body.length).toBe(0);
  if (answer.status === 204) expect(req.method, `${where}: only CORS preflight is empty`).toBe('OPTIONS');

  // Nothing from beside the store, and no taint echoed (JSON minus the sanctioned report; headers).
  expect(text).not.toContain('CANARY');
  expect(text).not.toContain(DECOY_MODULE);
  const visible =
    type.startsWith('application/json') && text
      ? JSON.stringify(withoutSanctionedEcho(JSON.parse(text)))
      : text;
  const headerText = [...answer.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  for (const taint of taints) {
    expect(visible, `${where}: body echoes input`).not.toContain(taint);
    expect(headerText, `${where}: headers echo input`).not.toContain(taint);
  }
}
