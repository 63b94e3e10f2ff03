/**
 * The preference order of a module's variants, so that no build is hidden behind another: the
 * most capable thread model first, and within one model a variant whose requirements include
 * another's before it (the SIMD build before the plain one, whatever their file names), and a build
 * declared for fewer hosts before one for more that it would otherwise hide. A declared order wins;
 * what it hides is reported. Pure.
 */
import { type Capability, HOSTS, type Host, type ThreadModel } from './caps.js';
import { MODEL_RANK, runsOn, type Selectable, THREAD_CAPS } from './select.js';

export interface Orderable extends Selectable {
  model: ThreadModel;
}

export interface Ordering<V extends Orderable> {
  variants: V[];
  /** Why each variant stands before the next one, in order (one line per adjacent pair). */
  reasons: string[];
  /**
   * Variants no profile can ever get, and the earlier variant such profiles take first (one that
   * needs no more and is served on every host it is, when there is one).
   */
  hidden: { variant: string; by: string }[];
}

/** What a profile must have for the variant to be chosen (thread capabilities drop out when optional). */
function effective(v: Orderable): Set<Capability> {
  return new Set(v.threads === 'optional' ? v.requires.filter((c) => !THREAD_CAPS.includes(c)) : v.requires);
}

const includes = (a: Set<Capability>, b: Set<Capability>) => [...b].every((c) => a.has(c));

/** The hosts a variant may be served on (`unknown` among them when it declares none). */
const hostsOf = (v: Orderable): Host[] => HOSTS.filter((h) => runsOn(v, h));

/** Whether `a` is served on every host `b` is served on. */
const servedWherever = (a: Orderable, b: Orderable) => hostsOf(b).every((h) => runsOn(a, h));

/** Why `a` must come before `b`, or null when nothing says so. */
function mustPrecede(a: Orderable, b: Orderable): string | null {
  if (MODEL_RANK[a.model] < MODEL_RANK[b.model]) return `thread model ${a.model} is preferred to ${b.model}`;
  if (a.model !== b.model) return null;
  // What each needs to be chosen: an optional-threads build needs less than its threaded twin, so
  // the twin goes first (profiles without threads still reach the optional one), never the reverse.
  const ra = effective(a);
  const rb = effective(b);
  if (ra.size > rb.size && includes(ra, rb)) {
    const extra = [...ra].filter((c) => !rb.has(c));
    return `it requires everything ${b.name} requires and more (${extra.join(' ')})`;
  }
  // Requiring as much on fewer hosts: first, or it is hidden where both are served.
  if (includes(ra, rb) && servedWherever(b, a) && !servedWherever(a, b))
    return `it requires everything ${b.name} requires, on fewer hosts (${hostsOf(a).join(', ')})`;
  return null;
}

/**
 * Orders variants: the `declared` names first, in that order, then the rest by the rule above,
 * keeping their given order where the rule says nothing (a stable topological sort).
 */
export function orderVariants<V extends Orderable>(
  variants: readonly V[],
  declared: readonly string[] = [],
): Ordering<V> {
  const pinned = declared
    .map((name) => variants.find((v) => v.name === name))
    .filter((v): v is V => v !== undefined);
  const rest = variants.filter((v) => !pinned.includes(v));
  const sorted: V[] = [];
  while (rest.length > 0) {
    // The first remaining variant that no other remaining variant must precede.
    const at = rest.findIndex((v) => !rest.some((u) => u !== v && mustPrecede(u, v) !== null));
    sorted.push(...rest.splice(at < 0 ? 0 : at, 1));
  }
  const ordered = [...pinned, ...sorted];
  const reasons = ordered.slice(0, -1).map((v, i) => {
    const next = ordered[i + 1]!;
    const why =
      i < pinned.length
        ? 'the declared order'
        : (mustPrecede(v, next) ?? 'no rule orders them: kept as published, newest first');
    return `${v.name} before ${next.name}: ${why}`;
  });
  const hidden: Ordering<V>['hidden'] = [];
  ordered.forEach((v, j) => {
    // Hidden: on every host it is served on, an earlier build that needs no more is served too.
    const need = effective(v);
    const before = ordered.slice(0, j).filter((u) => includes(need, effective(u)));
    if (before.length && hostsOf(v).every((h) => before.some((u) => runsOn(u, h))))
      hidden.push({ variant: v.name, by: (before.find((u) => servedWherever(u, v)) ?? before[0]!).name });
  });
  return { variants: ordered, reasons, hidden };
}
