/**
 * `GET /`: the diagnostics page. It probes the visiting browser with the server's own probe bundle
 * and shows, without any external asset: host, thread model, whether the profile came from the
 * probe's per-origin cache (with a button that probes again), every capability present or absent
 * (grouped), whether the page is cross-origin isolated and what to change when it is not, which
 * variant of each module this browser would get and why the others were rejected, a `curl` for the
 * same profile, a "Run it" button that runs the `demo` module with its threads through its bundle's
 * glue (answer, variant, threads, time), and the server's statistics as a small chart.
 */
import { ROUTES } from '../contract/paths.js';
import { CAPABILITY_GROUPS, FEATURES } from '../profile/caps.js';

/**
 * What the page's probe (the shallow one) never checks: only `probe({ deep: true })`, which starts
 * workers, does (src/detect/index.ts). Absent from a shallow profile means "not checked", not "no".
 */
export const DEEP_ONLY = ['nested-workers'];

const STYLE = `
:root{color-scheme:light dark;font:16px/1.45 system-ui,sans-serif}
body{max-width:52rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.2rem;margin-top:1.6rem}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
.caps{display:flex;flex-wrap:wrap;gap:.3rem;list-style:none;padding:0}
.caps li{border:1px solid;border-radius:.3rem;padding:.05rem .4rem;font-size:.9rem}
.yes{color:#0a6b2c;border-color:#0a6b2c}.no{color:#8a1c1c;border-color:#8a1c1c;opacity:.85}.unknown{border-style:dashed;opacity:.75}
@media (prefers-color-scheme:dark){.yes{color:#7ee2a0;border-color:#7ee2a0}.no{color:#ff9c9c;border-color:#ff9c9c}}
.advice{border-left:.3rem solid #c77d00;padding:.4rem .8rem;background:#c77d0018}
pre{white-space:pre-wrap;word-break:break-all;background:#8881;padding:.5rem;border-radius:.3rem}
.bar{display:grid;grid-template-columns:9rem 1fr 3rem;gap:.5rem;align-items:center}
.bar>span:nth-child(2)>span{display:block;background:#3b6ea8;height:.8rem;border-radius:.2rem;min-width:1px}`;

// The groups come from caps.ts, written into the page here, so no client bundle carries them.
const SCRIPT = `
import { probe, threadModel } from '${ROUTES.script('probe.js')}';
const CAPABILITY_GROUPS = ${JSON.stringify(CAPABILITY_GROUPS)};
const FEATURES = ${JSON.stringify(FEATURES)};
const DEEP_ONLY = ${JSON.stringify(DEEP_ONLY)};
const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...kids) => { const e = document.createElement(tag); Object.assign(e, attrs); e.append(...kids); return e; };
const isolated = globalThis.crossOriginIsolated === true;
$('isolated').textContent = isolated ? 'yes' : 'no';
if (!isolated) $('advice').append(el('p', { className: 'advice' },
  'This page is not cross-origin isolated, so no threaded build can be granted here. Serve the page with ',
  el('code', {}, 'Cross-Origin-Opener-Policy: same-origin'), ' and ',
  el('code', {}, 'Cross-Origin-Embedder-Policy: require-corp'), ' (or credentialless), and serve every subresource with CORP or CORS. ',
  'Inside a cross-origin iframe, also add allow="cross-origin-isolated".'));
const groups = [...CAPABILITY_GROUPS.map((g) => [g.title, g.caps]), ['Other features', FEATURES]];
async function show(profile) {
  const have = new Set(profile.caps);
  $('host').textContent = profile.host;
  $('model').textContent = threadModel(profile.caps);
  $('source').textContent = profile.cached ? "from this browser's cache (probed on an earlier visit)" : 'probed now';
  $('caps').replaceChildren();
  for (const [title, names] of groups) {
    const list = el('ul', { className: 'caps' });
    for (const name of names) {
      const [className, mark, title] = have.has(name) ? ['yes', '✓ ', ''] : DEEP_ONLY.includes(name)
        ? ['unknown', '? ', 'not checked: only the deep probe, which starts workers, checks it'] : ['no', '✗ ', ''];
      list.append(el('li', { className, title }, mark + name + (className === 'unknown' ? ' (not checked)' : '')));
    }
    const unchecked = names.filter((n) => !have.has(n) && DEEP_ONLY.includes(n)).length;
    $('caps').append(el('h3', {}, title + ' (' + names.filter((n) => have.has(n)).length + ' of ' + names.length + (unchecked ? ', ' + unchecked + ' not checked' : '') + ')'), list);
  }
  const query = 'caps=' + profile.caps.join(',') + '&host=' + profile.host;
  const { modules } = await (await fetch('${ROUTES.modules}')).json();
  $('modules').replaceChildren();
  if (!modules.length) $('modules').append(el('p', {}, 'No modules are published on this server yet.'));
  for (const m of modules) {
    const res = await fetch('${ROUTES.modules}/' + m.name + '/resolve?' + query);
    const body = await res.json();
    const section = el('section', {}, el('h3', {}, m.name + ' ' + m.version));
    if (res.ok) section.append(el('p', {}, 'This browser gets ', el('strong', { className: 'variant' }, body.variant), ' (' + body.model + ', ' + body.size + ' bytes).'));
    else section.append(el('p', {}, el('strong', { className: 'variant' }, 'no variant'), ': ' + body.error.message));
    const rejected = body.rejected ?? body.error?.rejected ?? [];
    if (rejected.length) section.append(el('ul', {}, ...rejected.map((r) => el('li', {}, r.variant + (r.hosts ? ' is for ' + r.hosts.join(', ') + ' only' : '') + (r.missing.length ? ' needs ' + r.missing.join(', ') : '')))));
    section.append(el('pre', {}, "curl -o " + m.name + ".wasm '" + location.origin + '${ROUTES.modules}/' + m.name + '/wasm?' + query + "'"));
    $('modules').append(section);
  }
  $('demo').hidden = !modules.some((m) => m.name === 'demo');
}
// "Run it": the demo loaded with the server's SDK, run by its bundle's own glue on the threads it may have.
$('run').onclick = async () => {
  $('run').disabled = true;
  $('answer').textContent = 'running…';
  try {
    // This page's weft: its origin, and its mount when there is one (the '/v1/' below is rewritten then).
    const server = new URL('/v1/', location.origin).href.replace(/[/]v1[/]$/, '');
    const { load } = await import('${ROUTES.script('sdk.js')}');
    const started = performance.now();
    const { module, variant, threads } = await load('demo', { server, instantiate: false });
    const { run } = await import(variant.bundle.base + variant.bundle.entry);
    const count = threads ? Math.min(8, Math.max(2, navigator.hardwareConcurrency || 2)) : 1;
    const primes = await run({ module, threads: count });
    const ms = Math.round(performance.now() - started);
    $('answer').replaceChildren(el('strong', { id: 'primes' }, String(primes)), ' primes below 200000 by ',
      el('strong', { id: 'ran' }, variant.name), ' on ', el('strong', { id: 'threads' }, String(count)),
      count === 1 ? ' thread' : ' threads', ' in ', el('strong', { id: 'ms' }, String(ms)), ' ms (load and run).');
  } catch (e) {
    $('answer').textContent = 'The demo failed: ' + (e && e.message || e);
  }
  $('run').disabled = false;
  document.body.dataset.ran = 'true';
};
await show(await probe());
$('again').hidden = false;
$('again').onclick = async () => {
  $('again').disabled = true;
  document.body.dataset.ready = 'false';
  await show(await probe({ fresh: true }));
  $('again').disabled = false;
  document.body.dataset.ready = 'true';
};
const stats = await (await fetch('${ROUTES.stats}')).json();
const max = Math.max(1, ...Object.values(stats.models));
$('stats').append(el('p', {}, stats.requests + ' negotiated requests (' + stats.scope + ', since ' + stats.since + ').'));
for (const [name, count] of Object.entries(stats.models)) {
  const bar = el('span'); bar.style.width = (100 * count / max) + '%';
  $('stats').append(el('div', { className: 'bar', role: 'img', ariaLabel: name + ': ' + count }, el('span', {}, name), el('span', {}, bar), el('span', {}, String(count))));
}
document.body.dataset.ready = 'true';`;

export const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>weft: what this browser can run</title><style>${STYLE}</style></head>
<body><main>
<h1>What this browser can run</h1>
<div class="kv" aria-live="polite">
<span>Host</span><strong id="host">probing…</strong>
<span>Thread model</span><strong id="model">probing…</strong>
<span>Cross-origin isolated</span><strong id="isolated">…</strong>
<span>Profile</span><span><span id="source">…</span> <button id="again" type="button" hidden>Probe again</button></span>
</div>
<div id="advice"></div>
<h2>Capabilities</h2><div id="caps"></div>
<h2>Modules on this server</h2><div id="modules"></div>
<section id="demo" hidden><h2>Run the demo</h2><p>Counts the primes below 200000 with the <code>demo</code> variant this browser gets, on its threads.</p>
<p><button id="run" type="button">Run it</button> <span id="answer" aria-live="polite"></span></p></section>
<h2>What this server has served</h2><div id="stats"></div>
<noscript>This page needs JavaScript to probe the browser. Non-JS loaders: GET /v1/modules/NAME/resolve?caps=…</noscript>
</main><script type="module">${SCRIPT}</script></body></html>`;
