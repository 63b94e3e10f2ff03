import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isVersion, VERSION_RULE } from '../contract/names.js';
import { probe } from '../detect/index.js';
import { InspectError, inspect } from '../inspect/index.js';
import { threadModel, VARIANT_HOSTS } from '../profile/caps.js';
import { DeclarationError, parseDeclaration } from '../registry/declaration.js';
import { PublishError } from '../registry/plan.js';
import { ManifestError } from '../registry/schema.js';
import { PACKAGE_ROOT } from './assets.js';
import { type FolderPlan, glueBeside, planFile, planFolder } from './description.js';
import { GC_USAGE, gcCommand } from './gc-command.js';
import { INIT_WORKER_USAGE, initWorkerCommand } from './init-worker.js';
import { MANIFEST_USAGE, manifestCommand } from './pin.js';
import { type Published, publishRemote } from './remote-publish.js';
import { startServer } from './serve.js';
import { publishStore } from './store-publish.js';
import { VERSIONS_USAGE, versionsCommand } from './versions-cli.js';

const USAGE = `usage: weft <command> [options]

commands:
  serve                  start the HTTP server       [--store DIR] [--port 8787] [--host 127.0.0.1]
                         (publishing over HTTP is enabled by WEFT_PUBLISH_TOKEN)
  inspect <file.wasm>    toolchain, thread model and required capabilities   [--glue FILE]... [--json]
                         (reads the glue named like the wasm beside it: app.js, app.mjs, app.worker.js)
  publish <dir|files>    inspect and publish variants (weft.json describes a folder; see docs)
                         --store DIR | --server URL   (--server reads WEFT_PUBLISH_TOKEN, uploads
                         only the files the server lacks; progress on stderr, --json prints a summary)
                         [--module NAME] [--version V] [--requires +cap,-cap] [--model M]
                         [--threads optional] [--hosts browser,worker] [--fallback VARIANT] [--order a,b,c]
  versions <module>      its versions, current and removed   (--store DIR | --server URL) [--json]
  rollback <module> <version>
                         make an earlier version current     (--store DIR | --server URL)
  remove <module> <version>
                         remove a version, never the current one (--store DIR | --server URL)
                         (--server reads WEFT_PUBLISH_TOKEN; pin a version: /v1/modules/app@1.2.0/...)
  probe                  this Node's capability profile                  [--json] [--deep]
  manifest <module>      write the module's pinned manifest, for load() with no round trip
                         --server URL [--out FILE]   (write it again after a publish)
  gc                     delete blobs and files no record refers to, after a grace
                         --store DIR | --server URL   [--grace 1h] [--dry-run] [--json]
  init worker            write wrangler.toml and worker.js to deploy weft to Cloudflare
                         [--bucket NAME] [--name WORKER] [--dir .] [--force]

weft <command> --help prints that command's usage; weft --version the package's version.`;

/** Runs one CLI command; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const help = commandHelp(command, rest);
  if (help !== undefined) {
    console.log(help);
    return 0;
  }
  try {
    switch (command) {
      case 'init':
        return initCommand(rest);
      case '--version':
      case '-v':
      case 'version':
        console.log(packageVersion());
        return 0;
      case 'serve':
        return await serveCommand(rest);
      case 'probe':
        return await probeCommand(rest);
      case 'inspect':
        return inspectCommand(rest);
      case 'publish':
        return await publishCommand(rest);
      case 'manifest':
        return await manifestCommand(rest);
      case 'versions':
      case 'rollback':
      case 'remove':
        return await versionsCommand(command, rest);
      case 'gc':
        return await gcCommand(rest);
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
      // Every parseArgs refusal (an unknown option, a missing value, a stray argument) is a usage error.
      String((err as { code?: string }).code).startsWith('ERR_PARSE_ARGS_')
    ) {
      console.error(`weft ${command}: ${(err as Error).message}`);
      return 2;
    }
    throw err;
  }
}

/** A command's usage when its arguments ask for help (`weft publish --help`); undefined otherwise. */
function commandHelp(command: string | undefined, rest: string[]): string | undefined {
  if (!rest.includes('--help') && !rest.includes('-h')) return undefined;
  if (command === 'publish') return PUBLISH_USAGE;
  if (command === 'init') return INIT_WORKER_USAGE;
  if (command === 'manifest') return MANIFEST_USAGE;
  if (command === 'versions' || command === 'rollback' || command === 'remove') return VERSIONS_USAGE;
  if (command === 'gc') return GC_USAGE;
  // The command's lines of USAGE: its own and the indented ones under it.
  const lines = USAGE.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`  ${command} `));
  if (at < 0) return undefined;
  const end = lines.findIndex((l, i) => i > at && !/^ {20,}/.test(l));
  return `usage: weft ${lines
    .slice(at, end < 0 ? undefined : end)
    .join('\n')
    .trim()}`;
}

/** `weft init worker`: the one thing to initialise so far. */
function initCommand(args: string[]): number {
  const [what, ...rest] = args;
  if (what !== 'worker') {
    console.error(INIT_WORKER_USAGE);
    return 2;
  }
  return initWorkerCommand(rest);
}

/** This package's version, from its package.json. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
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
  [--hosts h,...]   served on these hosts only: ${VARIANT_HOSTS.join(', ')}
  [--fallback VARIANT] [--order a,b,c]
  [--json]   a machine-readable summary on stdout (progress stays on stderr)`;

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
      hosts: { type: 'string' },
      fallback: { type: 'string' },
      order: { type: 'string' },
      json: { type: 'boolean' },
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
    ...(values.hosts !== undefined ? { hosts: values.hosts } : {}),
  });
  for (const v of plan.variants) v.declaration = { ...v.declaration, ...flags };
  if (values.version !== undefined) {
    // Refused here as PUT and the commit refuse it: before anything is read, stored or sent.
    if (!isVersion(values.version)) throw new DeclarationError('--version', VERSION_RULE);
    plan.version = values.version;
  }
  if (values.fallback) plan.fallback = values.fallback;
  if (values.order) plan.order = values.order.split(',');

  // With --json, stdout holds the summary alone.
  const say = values.json ? console.error : console.log;
  say(`${plan.module}: ${plan.variants.length} variant(s)`);
  for (const line of plan.grouping) say(`  ${line}`);
  const result = values.server
    ? await publishRemote(values.server, plan, { json: values.json === true })
    : await publishStore(values.store!, plan, { json: values.json === true });
  if (typeof result === 'number') return result;
  for (const { variant, report } of result.published) {
    const tool = report.toolchain;
    console.log(
      `${plan.module}/${variant.name}: ${variant.model}${variant.threads ? ' (threads optional)' : ''}${variant.hosts ? ` (${variant.hosts.join(', ')} only)` : ''} requires [${variant.requires.join(' ')}] ${variant.blob}`,
    );
    console.log(`  toolchain: ${tool.toolchain} (${tool.confidence} confidence; threads: ${tool.threads})`);
  }
  printOrdering(result.ordering);
  return 0;
}

function printOrdering(ordering: Published['ordering']): void {
  console.log(`order: ${ordering.variants.join(' > ')}`);
  for (const reason of ordering.reasons) console.log(`  ${reason}`);
  for (const h of ordering.hidden)
    console.log(`  warning: ${h.variant} is never chosen: every engine that can run it takes ${h.by} first`);
}
