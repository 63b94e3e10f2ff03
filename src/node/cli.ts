import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { probe } from '../detect/index.js';
import { InspectError, inspect } from '../inspect/index.js';
import { threadModel } from '../profile/caps.js';
import { applyDeclaration, DeclarationError, parseDeclaration } from '../registry/declaration.js';
import { ManifestError, type Variant } from '../registry/manifest.js';
import { glueOf, PublishError, type PublishSetResult, publishSet } from '../registry/publish.js';
import { fsStore } from '../registry/stores/fs.js';
import { type FolderPlan, glueBeside, planFile, planFolder } from './description.js';
import { nodeEncoders } from './encoders.js';
import { startServer } from './serve.js';

const USAGE = `usage: weft <command> [options]

commands:
  serve                  start the HTTP server       [--store DIR] [--port 8787] [--host 127.0.0.1]
                         (publishing over HTTP is enabled by WEFT_PUBLISH_TOKEN)
  inspect <file.wasm>    toolchain, thread model and required capabilities   [--glue FILE]... [--json]
                         (reads the glue named like the wasm beside it: app.js, app.mjs, app.worker.js)
  publish <dir|files>    inspect and publish variants (weft.json describes a folder; see docs)
                         --store DIR | --server URL   (--server reads WEFT_PUBLISH_TOKEN)
                         [--module NAME] [--version V] [--requires +cap,-cap] [--model M]
                         [--threads optional] [--fallback VARIANT] [--order a,b,c]
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
      err instanceof DeclarationError ||
      err instanceof PublishError ||
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
    options: { json: { type: 'boolean' }, glue: { type: 'string', multiple: true } },
  });
  if (positionals.length !== 1) {
    console.error('usage: weft inspect <file.wasm> [--glue FILE]... [--json]');
    return 2;
  }
  const file = positionals[0]!;
  // The glue named like the wasm beside it is read unless files are named.
  const gluePaths =
    values.glue ?? glueBeside(dirname(file), basename(file)).map((g) => join(dirname(file), g));
  const report = inspect(new Uint8Array(readFileSync(file)), {
    glue: gluePaths.map((g) => readFileSync(g, 'utf8')),
  });
  if (values.json) {
    console.log(JSON.stringify({ ...report, glue: gluePaths.map((g) => basename(g)) }));
    return 0;
  }
  const tool = report.toolchain;
  console.log(`thread model: ${report.model}`);
  console.log(`requires:     ${report.requires.join(' ') || '(nothing beyond the MVP)'}`);
  console.log(
    `toolchain:    ${tool.toolchain} (${tool.confidence} confidence; threads: ${tool.threads})${gluePaths.length ? `, glue read: ${gluePaths.map((g) => basename(g)).join(', ')}` : ', no glue read'}`,
  );
  for (const e of tool.evidence) console.log(`  evidence: ${e}`);
  console.log(
    `imports:      ${report.imports.map((i) => `${i.module}.${i.name} (${i.kind}${i.shared ? ', shared' : ''})`).join(', ') || '-'}`,
  );
  console.log(`exports:      ${report.exports.map((e) => `${e.name} (${e.kind})`).join(', ') || '-'}`);
  if (report.targetFeatures) console.log(`target_features: ${report.targetFeatures.join(' ')}`);
  for (const note of report.notes) console.log(`note: ${note}`);
  return 0;
}

const PUBLISH_USAGE = `usage: weft publish <dir | files.wasm...> (--store DIR | --server URL)
  [--module NAME] [--version V]
  [--requires +cap,-cap] [--model M] [--threads optional] [--polyfills a,b]   (for every variant given)
  [--fallback VARIANT] [--order a,b,c]`;

async function publishCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      store: { type: 'string' },
      server: { type: 'string' },
      module: { type: 'string' },
      version: { type: 'string' },
      requires: { type: 'string' },
      model: { type: 'string' },
      threads: { type: 'string' },
      polyfills: { type: 'string' },
      fallback: { type: 'string' },
      order: { type: 'string' },
    },
  });
  if (positionals.length === 0 || !!values.store === !!values.server) {
    console.error(PUBLISH_USAGE);
    return 2;
  }
  const folder = positionals.length === 1 && statSync(positionals[0]!).isDirectory();
  let plan: FolderPlan;
  if (folder) {
    plan = planFolder(positionals[0]!, values.module);
  } else {
    if (!values.module) {
      console.error('weft publish: --module NAME is required when publishing files');
      return 2;
    }
    const files = positionals.map(planFile);
    plan = {
      module: values.module,
      variants: files.map((f) => f.input),
      grouping: files.flatMap((f) => f.grouping),
    };
  }
  // Flags declare for every variant given, over what a description file said.
  const flags = parseDeclaration({
    ...(values.requires !== undefined ? { requires: values.requires } : {}),
    ...(values.model !== undefined ? { model: values.model } : {}),
    ...(values.threads !== undefined ? { threads: values.threads } : {}),
    ...(values.polyfills !== undefined ? { polyfills: values.polyfills } : {}),
  });
  for (const v of plan.variants) v.declaration = { ...v.declaration, ...flags };
  if (values.version) plan.version = values.version;
  if (values.fallback) plan.fallback = values.fallback;
  if (values.order) plan.order = values.order.split(',');

  console.log(`${plan.module}: ${plan.variants.length} variant(s)`);
  for (const line of plan.grouping) console.log(`  ${line}`);
  const result = values.server
    ? await publishRemote(values.server, plan)
    : await publishLocal(values.store!, plan);
  if (typeof result === 'number') return result;
  for (const { variant, report } of result.published) {
    const tool = report.toolchain;
    console.log(
      `${plan.module}/${variant.name}: ${variant.model}${variant.threads ? ' (threads optional)' : ''} requires [${variant.requires.join(' ')}] ${variant.blob}`,
    );
    console.log(`  toolchain: ${tool.toolchain} (${tool.confidence} confidence; threads: ${tool.threads})`);
  }
  printOrdering(result.ordering);
  return 0;
}

async function publishLocal(dir: string, plan: FolderPlan): Promise<Published> {
  const { published, ordering } = await publishSet(fsStore({ dir }), plan, nodeEncoders);
  return { published, ordering: { ...ordering, variants: ordering.variants.map((v) => v.name) } };
}

/** What a publish reports, from the store or from the server's answers. */
interface Published {
  published: PublishSetResult['published'];
  ordering: { variants: string[]; reasons: string[]; hidden: { variant: string; by: string }[] };
}

function printOrdering(ordering: Published['ordering']): void {
  console.log(`order: ${ordering.variants.join(' > ')}`);
  for (const reason of ordering.reasons) console.log(`  ${reason}`);
  for (const h of ordering.hidden)
    console.log(`  warning: ${h.variant} is never chosen: every engine that can run it takes ${h.by} first`);
}

/**
 * Publishes a plan to a server, one `PUT` per variant. The server sees only the wasm, so what the
 * glue showed (read here) travels as a declaration: the difference between inspecting with and
 * without the glue, besides what the publisher declared.
 */
async function publishRemote(server: string, plan: FolderPlan): Promise<Published | number> {
  const token = process.env.WEFT_PUBLISH_TOKEN;
  if (!token) {
    console.error('weft publish: set WEFT_PUBLISH_TOKEN to publish to a server');
    return 2;
  }
  const published: Published['published'] = [];
  let ordering: Published['ordering'] | undefined;
  for (const [i, v] of plan.variants.entries()) {
    if (v.bundle)
      console.error(
        `weft publish: ${v.variant}: PUT sends the wasm only; its ${v.bundle.files.length - 1} other file(s) are not published (publish whole builds with --store)`,
      );
    const bare = inspect(v.bytes);
    const seen = inspect(v.bytes, { glue: glueOf(v) });
    const wanted = applyDeclaration(seen, v.declaration ?? {});
    // Under the server's own path: weft may be mounted at one (https://site/wasm).
    const url = new URL(`${server.replace(/\/+$/, '')}/v1/modules/${plan.module}/variants/${v.variant}`);
    const edits = [
      ...wanted.requires.filter((c) => !bare.requires.includes(c)).map((c) => `+${c}`),
      ...bare.requires.filter((c) => !wanted.requires.includes(c)).map((c) => `-${c}`),
    ];
    if (edits.length) url.searchParams.set('requires', edits.join(','));
    if (wanted.model !== bare.model) url.searchParams.set('model', wanted.model);
    if (wanted.threads) url.searchParams.set('threads', wanted.threads);
    if (v.declaration?.polyfills) url.searchParams.set('polyfills', v.declaration.polyfills.join(','));
    if (plan.version) url.searchParams.set('version', plan.version);
    if (plan.fallback === v.variant) url.searchParams.set('fallback', 'true');
    if (plan.order && i === plan.variants.length - 1) url.searchParams.set('order', plan.order.join(','));
    const res = await fetch(url, {
      method: 'PUT',
      body: v.bytes as Uint8Array<ArrayBuffer>,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/wasm' },
    });
    const answer = (await res.json().catch(() => ({}))) as {
      variant?: Variant;
      order?: Published['ordering'];
      error?: { message: string };
    };
    if (!res.ok || !answer.variant || !answer.order) {
      console.error(`weft publish: ${v.variant}: ${res.status} ${answer.error?.message ?? ''}`);
      return 1;
    }
    published.push({ variant: answer.variant, report: seen });
    ordering = answer.order;
  }
  return { published, ordering: ordering! };
}
