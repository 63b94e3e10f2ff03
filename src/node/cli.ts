import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { probe } from '../detect/index.js';
import { InspectError, inspect } from '../inspect/index.js';
import { threadModel } from '../profile/caps.js';
import { ManifestError } from '../server/manifest.js';
import { publish } from '../server/publish.js';
import { fsStore } from '../server/stores/fs.js';
import { nodeEncoders } from './encoders.js';
import { startServer } from './serve.js';

const USAGE = `usage: weft <command> [options]

commands:
  serve                  start the HTTP server       [--store DIR] [--port 8787] [--host 127.0.0.1]
                         (publishing over HTTP is enabled by WEFT_PUBLISH_TOKEN)
  inspect <file.wasm>    thread model and required capabilities          [--json]
  publish <files|dir>    inspect and publish variants                    --store DIR | --server URL
                         [--module NAME] [--version V]   (--server reads WEFT_PUBLISH_TOKEN)
  probe                  this Node's capability profile                  [--json] [--deep]`;

/** Runs one CLI command; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serveCommand(rest);
      case 'probe':
        return await probeCommand(rest);
      case 'inspect':
        return inspectCommand(rest);
      case 'publish':
        return await publishCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        console.error(`weft: unknown command\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    // Expected failures print one line, never a stack.
    if (
      err instanceof ManifestError ||
      err instanceof InspectError ||
      (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
    ) {
      console.error(`weft ${command}: ${(err as Error).message}`);
      return 2;
    }
    throw err;
  }
}

async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      store: { type: 'string', default: process.env.WEFT_STORE ?? 'weft-store' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('weft serve: --port must be an integer from 0 to 65535');
    return 2;
  }
  const token = process.env.WEFT_PUBLISH_TOKEN;
  const server = await startServer({
    port,
    host: values.host,
    storeDir: values.store,
    ...(token ? { publishToken: token } : {}),
  });
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Announce only once the signal handlers are in place: whoever reads this may stop us at once.
  console.log(
    `weft: serving on ${server.url} (store: ${resolve(values.store)}; publishing ${token ? 'enabled' : 'disabled'})`,
  );
  return new Promise<number>(() => {});
}

async function probeCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' }, deep: { type: 'boolean' } } });
  const profile = await probe({ deep: values.deep === true });
  if (values.json) {
    console.log(JSON.stringify(profile));
  } else {
    console.log(`host:         ${profile.host}`);
    console.log(`thread model: ${threadModel(profile.caps)}`);
    console.log(`capabilities: ${profile.caps.join(' ')}`);
  }
  return 0;
}

function inspectCommand(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' } },
  });
  if (positionals.length !== 1) {
    console.error('usage: weft inspect <file.wasm> [--json]');
    return 2;
  }
  const report = inspect(new Uint8Array(readFileSync(positionals[0]!)));
  if (values.json) {
    console.log(JSON.stringify(report));
    return 0;
  }
  console.log(`thread model: ${report.model}`);
  console.log(`requires:     ${report.requires.join(' ') || '(nothing beyond the MVP)'}`);
  console.log(
    `imports:      ${report.imports.map((i) => `${i.module}.${i.name} (${i.kind}${i.shared ? ', shared' : ''})`).join(', ') || '-'}`,
  );
  console.log(`exports:      ${report.exports.map((e) => `${e.name} (${e.kind})`).join(', ') || '-'}`);
  if (report.targetFeatures) console.log(`target_features: ${report.targetFeatures.join(' ')}`);
  for (const note of report.notes) console.log(`note: ${note}`);
  return 0;
}

async function publishCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      store: { type: 'string' },
      server: { type: 'string' },
      module: { type: 'string' },
      version: { type: 'string' },
    },
  });
  if (positionals.length === 0 || !!values.store === !!values.server) {
    console.error(
      'usage: weft publish <files|dir> (--store DIR | --server URL) [--module NAME] [--version V]',
    );
    return 2;
  }
  const files = positionals.flatMap((p) =>
    statSync(p).isDirectory()
      ? readdirSync(p)
          .filter((f) => f.endsWith('.wasm'))
          .sort()
          .map((f) => join(p, f))
      : [p],
  );
  const dirModule =
    positionals.length === 1 && statSync(positionals[0]!).isDirectory()
      ? basename(resolve(positionals[0]!))
      : undefined;
  const module = values.module ?? dirModule;
  if (!module) {
    console.error('weft publish: --module NAME is required when publishing files');
    return 2;
  }
  for (const file of files) {
    const variant = basename(file, '.wasm');
    const bytes = new Uint8Array(readFileSync(file));
    if (values.server) {
      const token = process.env.WEFT_PUBLISH_TOKEN;
      if (!token) {
        console.error('weft publish: set WEFT_PUBLISH_TOKEN to publish to a server');
        return 2;
      }
      const url = new URL(`/v1/modules/${module}/variants/${variant}`, values.server);
      if (values.version) url.searchParams.set('version', values.version);
      const res = await fetch(url, {
        method: 'PUT',
        body: bytes,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/wasm' },
      });
      const answer = (await res.json()) as {
        variant?: { model: string; blob: string };
        error?: { message: string };
      };
      if (!res.ok) {
        console.error(`weft publish: ${file}: ${res.status} ${answer.error?.message ?? ''}`);
        return 1;
      }
      console.log(`${module}/${variant}: ${answer.variant?.model} ${answer.variant?.blob}`);
    } else {
      const result = await publish(
        fsStore({ dir: values.store! }),
        { module, variant, bytes, ...(values.version ? { version: values.version } : {}) },
        nodeEncoders,
      );
      console.log(
        `${module}/${variant}: ${result.variant.model} ${result.variant.blob} requires [${result.variant.requires.join(' ')}]`,
      );
    }
  }
  return 0;
}
