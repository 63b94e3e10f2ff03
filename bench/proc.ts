/** What the bench reads about a process from /proc (Linux): its CPU time, its RSS, the workerd processes it started. */
import { readdirSync, readFileSync } from 'node:fs';

/** CPU time, in ms, of a process and all its threads so far. */
export function cpuMs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a thread that ended meanwhile
    }
  }
  return ns / 1e6;
}

/** Resident set size of a process, in bytes. */
export function rssBytes(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) * 1024;
}

/** This process's children named workerd. */
export function workerdChildren(): Set<number> {
  const found = new Set<number>();
  for (const dir of readdirSync('/proc')) {
    if (!/^\d+$/.test(dir)) continue;
    try {
      const m = /^\d+ \((.*)\) \S+ (\d+)/.exec(readFileSync(`/proc/${dir}/stat`, 'utf8'));
      if (m && m[1] === 'workerd' && Number(m[2]) === process.pid) found.add(Number(dir));
    } catch {
      // gone
    }
  }
  return found;
}
