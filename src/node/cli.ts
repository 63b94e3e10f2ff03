import { parseArgs } from 'node:util';
import { probe } from '../detect/index.js';
import { threadModel } from '../profile/caps.js';
import { startServer } from './serve.js';

const USAGE = `usage: weft <command> [options]

commands:
  serve   start the HTTP server                 [--port 8787] [--host 127.0.0.1]
  probe   print this Node's capability profile  [--json] [--deep]`;

/** Runs one CLI command; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serveCommand(rest);
    case 'probe':
      return probeCommand(rest);
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
}

async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string', default: '8787' }, host: { type: 'string', default: '127.0.0.1' } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('weft serve: --port must be an integer from 0 to 65535');
    return 2;
  }
  const server = await startServer({ port, host: values.host });
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Announce only once the signal handlers are in place: whoever reads this may stop us at once.
  console.log(`weft: serving on ${server.url}`);
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
