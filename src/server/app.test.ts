import { expect, it } from 'vitest';
import { describeMatrix } from '../../test/harness/clients.js';
import { memoryStore } from '../registry/stores/memory.js';
import { createApp } from './app.js';

describeMatrix(
  'createApp',
  () => createApp({ store: memoryStore() }),
  (client) => {
    it('answers GET /healthz with {"status":"ok"}', async () => {
      const res = await client()('/healthz');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ status: 'ok' });
    });

    it('answers an unknown route with a JSON 404 that does not echo the path', async () => {
      const res = await client()('/%3Cscript%3Ealert(1)%3C%2Fscript%3E');
      expect(res.status).toBe(404);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ error: { code: 'not_found', message: 'no such route' } });
      expect(text).not.toMatch(/script/i);
    });
  },
);
