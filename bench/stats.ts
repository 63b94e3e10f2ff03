/** Medians, ratios and the table every figure is printed as. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The p-th percentile (0..100), nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const mean = (values: readonly number[]): number => values.reduce((s, v) => s + v, 0) / values.length;

/**
 * Runs the arms in turn, `rounds` times each (A B C A B C ...), so drift and the neighbours' noise
 * on a shared machine fall on every arm; returns every sample of each arm, in the arms' order.
 */
export async function interleave<T>(rounds: number, arms: readonly (() => Promise<T>)[]): Promise<T[][]> {
  const out = arms.map(() => [] as T[]);
  for (let i = 0; i < rounds; i++) {
    for (const [k, arm] of arms.entries()) out[k]!.push(await arm());
  }
  return out;
}

/** Two arms, A B A B ...: the candidate's samples as `a`, the baseline's as `b`. */
export async function alternate<T>(
  rounds: number,
  a: () => Promise<T>,
  b: () => Promise<T>,
): Promise<{ a: T[]; b: T[] }> {
  const [x, y] = await interleave(rounds, [a, b]);
  return { a: x!, b: y! };
}

export const ms = (v: number): string =>
  Number.isNaN(v)
    ? '—'
    : v >= 100
      ? `${v.toFixed(0)} ms`
      : v >= 1
        ? `${v.toFixed(2)} ms`
        : `${(v * 1000).toFixed(1)} µs`;
export const us = (v: number): string => (Number.isNaN(v) ? '—' : `${v.toFixed(v >= 10 ? 1 : 2)} µs`);
export const bytes = (v: number): string => `${v.toLocaleString('en-US')} B`;
export const kb = (v: number): string => `${(v / 1024).toFixed(2)} KB`;
export const mb = (v: number): string => `${(v / 1024 / 1024).toFixed(1)} MB`;
export const perSecond = (v: number): string => `${Math.round(v).toLocaleString('en-US')}/s`;
export const times = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 3 : 1)}×` : '—');

/** One printed figure: the candidate's median, the baseline measured in the same run, and the goal. */
export interface Row {
  figure: string;
  value: string;
  baseline: string;
  /** value / baseline (or the inverse where the goal is stated that way); NaN when there is no baseline. */
  ratio: number;
  goal: string;
  /** undefined when the figure has no goal. */
  met?: boolean;
}

export interface Section {
  title: string;
  /** What was measured, how many samples, what the baseline is. */
  method: string;
  rows: Row[];
  /** Extra lines: breakdowns, and for each missed goal what stands in the way. */
  notes: string[];
  seconds?: number;
}

const verdict = (met: boolean | undefined) => (met === undefined ? '—' : met ? 'yes' : '**no**');

export function markdownTable(rows: readonly Row[]): string {
  const lines = [
    '| figure | median | baseline | ratio | goal | met? |',
    '| --- | --: | --: | --: | --- | :-: |',
    ...rows.map(
      (r) =>
        `| ${r.figure} | ${r.value} | ${r.baseline} | ${times(r.ratio)} | ${r.goal} | ${verdict(r.met)} |`,
    ),
  ];
  return lines.join('\n');
}

export function sectionMarkdown(s: Section): string {
  const parts = [`## ${s.title}`, '', s.method, '', markdownTable(s.rows)];
  if (s.notes.length) parts.push('', ...s.notes.map((n) => `- ${n}`));
  if (s.seconds !== undefined) parts.push('', `_(${s.seconds.toFixed(0)} s)_`);
  return parts.join('\n');
}

/** The same table for a terminal: fixed-width columns, no markdown. */
export function textTable(s: Section): string {
  const head = ['figure', 'median', 'baseline', 'ratio', 'goal', 'met?'];
  const cells = s.rows.map((r) => [
    r.figure,
    r.value,
    r.baseline,
    times(r.ratio),
    r.goal,
    r.met === undefined ? '—' : r.met ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [`== ${s.title}`, line(head), ...cells.map(line), ...s.notes.map((n) => `  * ${n}`)].join('\n');
}

/** Interquartile range: the spread of the middle half of the samples. */
export function iqr(values: readonly number[]): number {
  return percentile(values, 75) - percentile(values, 25);
}
