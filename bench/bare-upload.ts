/**
 * The baseline of every publishing figure: a bare `node:http` server that hashes a request body
 * with SHA-256 and answers its hex, what an upload may cost at most.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function bareUploadServer(): Promise<{ url: string; close(): void }> {
  const bare = createServer((req, res) => {
    const hash = createHash('sha256');
    req.on('data', (d) => hash.update(d));
    req.on('end', () => res.end(hash.digest('hex')));
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`, close: () => bare.close() };
}
