/**
 * `npm run bench`: builds, runs every benchmark in sequence (each bounded in time), prints a table
 * per figure and writes them, with the command and the machine, into BENCHMARKS.md.
 * `npm run bench -- server scale` runs only those and leaves BENCHMARKS.md alone.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM, chromiumPath } from '../test/harness/browser.js';
import { e2eBench } from './e2e.js';
import { emscriptenBench } from './emscripten.js';
import { emscriptenLibsBench } from './emscripten-libs.js';
import { libsBench } from './libs.js';
import { loadSizesBench } from './load-sizes.js';
import { probeBench } from './probe.js';
import { publishBench } from './publish.js';
import { publishBundleBench } from './publish-bundle.js';
import { scaleBench } from './scale.js';
import { serverBench } from './server.js';
import { sizesBench } from './sizes.js';
import { type Section, sectionMarkdown, textTable, times } from './stats.js';
import { workerdBench } from './workerd.js';
import { workerdScaleBench } from './workerd-scale.js';

const root = new URL('..', import.meta.url).pathname;

const BENCHES: { name: string; title: string; limitS: number; run: () => Promise<Section> }[] = [
  { name: 'probe', title: '1. Probe cost', limitS: 300, run: probeBench },
  { name: 'sizes', title: '2. Bundle sizes', limitS: 60, run: sizesBench },
  { name: 'server', title: '3. Server throughput and latency', limitS: 240, run: serverBench },
  { name: 'e2e', title: '4. End to end in Chromium', limitS: 200, run: e2eBench },
  { name: 'scale', title: '5. Scale', limitS: 180, run: scaleBench },
  { name: 'workerd', title: '6. workerd', limitS: 120, run: workerdBench },
  { name: 'workerd-scale', title: '6b. Scale on workerd with R2', limitS: 180, run: workerdScaleBench },
  {
    name: 'emscripten',
    title: '7. Emscripten build: time to a ready module',
    limitS: 180,
    run: emscriptenBench,
  },
  {
    name: 'emscripten-libs',
    title: '7b. loadEmscripten() on real library builds',
    limitS: 300,
    run: emscriptenLibsBench,
  },
  { name: 'load', title: '8. load() at real sizes', limitS: 900, run: loadSizesBench },
  { name: 'publish', title: '9. Publishing a 32 MB build', limitS: 240, run: publishBench },
  {
    name: 'publish-bundle',
    title: '9b. Publishing a whole 32 MB build over HTTP',
    limitS: 240,
    run: publishBundleBench,
  },
  {
    name: 'libs',
    title: '10. Big libraries: a ready ORT session and a ready ffmpeg',
    limitS: 300,
    run: libsBench,
  },
];

function bounded<T>(seconds: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

function quiet(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, {
      encoding: 'utf8',
      timeout: 15_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

function machine(): string[] {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const os = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown';
  const version = (pkg: string) =>
    (JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string })
      .version;
  return [
    `Node ${process.version} (\`node -v\`), ${os}`,
    `CPU: ${model}, ${cpus().length} cores; memory ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `Load average when the run started: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')} (a shared machine: other work runs beside the bench)`,
    `Chromium: ${chromiumPath() ? quiet(CHROMIUM, ['--version']) : 'not installed'}; miniflare ${version('miniflare')}; ` +
      `autocannon ${version('autocannon')}; esbuild ${version('esbuild')}; wasm-feature-detect ${version('wasm-feature-detect')}`,
  ];
}

async function main(): Promise<number> {
  const only = process.argv.slice(2);
  const selected = only.length ? BENCHES.filter((b) => only.includes(b.name)) : BENCHES;
  const started = new Date();
  const t0 = performance.now();
  const machineLines = machine();
  console.log(machineLines.join('\n'));

  console.log('\nbuilding (node scripts/build.mjs --quiet) ...');
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--quiet'], {
    stdio: 'inherit',
    timeout: 180_000,
  });

  const sections: Section[] = [];
  let failed = 0;
  for (const bench of selected) {
    console.log(`\nrunning ${bench.name} ...`);
    const t = performance.now();
    let section: Section;
    try {
      section = await bounded(bench.limitS, bench.run());
    } catch (err) {
      failed++;
      section = {
        title: bench.title,
        method: `**Failed:** ${err instanceof Error ? err.message : String(err)}`,
        rows: [],
        notes: [],
      };
    }
    section.seconds = (performance.now() - t) / 1000;
    sections.push(section);
    console.log(`${textTable(section)}\n(${section.seconds.toFixed(0)} s)`);
  }

  const total = (performance.now() - t0) / 1000;
  const goals = sections.flatMap((s) => s.rows.filter((r) => r.met !== undefined).map((r) => ({ s, r })));
  const met = goals.filter((g) => g.r.met);
  const missed = goals.filter((g) => !g.r.met);
  console.log(`\ngoals met: ${met.length} of ${goals.length}; total ${total.toFixed(0)} s`);
  for (const { s, r } of missed)
    console.log(`  missed: ${s.title}: ${r.figure} (${r.value} vs ${r.baseline}; goal ${r.goal})`);

  if (only.length) {
    // The sections as BENCHMARKS.md would print them, to paste or compare.
    for (const s of sections) console.log(`\n${sectionMarkdown(s)}`);
    console.log('\n(a partial run: BENCHMARKS.md left as it was)');
    return failed ? 1 : 0;
  }
  const md = [
    '# Benchmarks',
    '',
    '<!-- Written by `npm run bench` (bench/run.ts). Do not edit by hand: rerun it. -->',
    '',
    `Command: \`npm run bench\` (\`tsx bench/run.ts\`; it builds first with \`node scripts/build.mjs --quiet\`). ` +
      `Run ${started.toISOString().replace(/\.\d+Z$/, 'Z')}, ${total.toFixed(0)} s in all.`,
    '',
    ...machineLines.map((l) => `- ${l}`),
    '',
    'Every figure: the median of several runs, the baseline measured in the same run (runs interleaved, ' +
      'A B A B ..., so noise falls on both), their ratio, and the goal. Each section says what was measured.',
    '',
    `**Goals met: ${met.length} of ${goals.length}.**${missed.length ? ' Missed:' : ''}`,
    '',
    ...missed.map(
      ({ s, r }) =>
        `- ${s.title}: ${r.figure}: ${r.value} against ${r.baseline}` +
        `${Number.isFinite(r.ratio) ? `, ${times(r.ratio)}` : ''} (goal ${r.goal})`,
    ),
    ...(missed.length
      ? ['', 'Each section below says what stands in the way of the goals it misses.', '']
      : []),
    ...sections.flatMap((s) => [sectionMarkdown(s), '']),
  ].join('\n');
  writeFileSync(join(root, 'BENCHMARKS.md'), md);
  console.log('wrote BENCHMARKS.md');
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
