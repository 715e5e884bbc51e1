// Host patterns, as in Ansible: `all`, `*`, group or host names, globs (`web-*`),
// comma lists, `!name` to exclude and `&name` to intersect. An unknown name is an error,
// not an empty match, so a typo never silently targets nothing.
import type { Inventory } from './load.js';

export class PatternError extends Error {
  constructor(
    readonly term: string,
    readonly known: string[],
  ) {
    super(`host pattern '${term}' matches no host or group`);
  }
}

function glob(term: string): RegExp {
  return new RegExp(
    '^' +
      term
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
  );
}

function matchTerm(inv: Inventory, term: string): string[] {
  if (term === 'all' || term === '*') return [...inv.hosts.keys()];
  const g = inv.groups.get(term);
  if (g) return g.hosts;
  if (inv.hosts.has(term)) return [term];
  if (/[*?]/.test(term)) {
    const re = glob(term);
    const out = new Set<string>();
    for (const h of inv.hosts.keys()) if (re.test(h)) out.add(h);
    for (const gr of inv.groups.values()) if (re.test(gr.name)) gr.hosts.forEach((h) => out.add(h));
    if (out.size) return [...out];
  }
  throw new PatternError(term, [...inv.groups.keys(), ...inv.hosts.keys()]);
}

/** Resolve a pattern to host names, in inventory order. */
export function resolvePattern(inv: Inventory, pattern: string): string[] {
  const terms = pattern
    .split(/[,:]/)
    .map((t) => t.trim())
    .filter(Boolean);
  let include = new Set<string>();
  const intersect: Set<string>[] = [];
  const exclude = new Set<string>();
  for (const t of terms) {
    if (t.startsWith('!')) matchTerm(inv, t.slice(1)).forEach((h) => exclude.add(h));
    else if (t.startsWith('&')) intersect.push(new Set(matchTerm(inv, t.slice(1))));
    else matchTerm(inv, t).forEach((h) => include.add(h));
  }
  if (include.size === 0 && (exclude.size || intersect.length)) include = new Set(inv.hosts.keys());
  return [...inv.hosts.keys()].filter((h) => include.has(h) && !exclude.has(h) && intersect.every((s) => s.has(h)));
}
