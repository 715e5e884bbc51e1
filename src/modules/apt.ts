// apt: Debian packages present, absent or at the latest candidate version. All of a
// task's packages go to ONE apt-get call, non-interactively, keeping local config files.
import { raw, sh, type Shell } from '../sh.js';
import { aptCacheFact, aptCandidateFact, pkgFact, type PkgStates } from '../facts/pkg.js';
import type { Fact } from '../facts/types.js';
import { defineModule, definePlan, type Change, type Diff, type Plan } from './types.js';
import { asList, oneOrMany, has } from './common/schema.js';
import { steps } from './common/steps.js';

export interface AptArgs {
  name?: string | string[];
  state?: 'present' | 'absent' | 'latest';
  update_cache?: boolean;
  /** Seconds: with update_cache, refresh only when the cache is older than this. */
  cache_valid_time?: number;
  /** state: absent also removes configuration files. */
  purge?: boolean;
  install_recommends?: boolean;
  /** true: its packages may install earlier, in one transaction with the host's other batch tasks (src/engine/packages.ts). */
  batch?: boolean;
}

const PKG = {
  type: 'string',
  pattern: '^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?$',
  errorMessage: 'a package name is lowercase letters, digits, + . - and an optional :arch',
} as const;

// Packages create files, units, users and groups (and ufw's state when it is ufw).
// A package install runs maintainer scripts that create files, users, units and databases and
// start daemons: anything a later task probes may differ, so all facts are probed again.
const INSTALL_INVALIDATES = ['*'];

/** Non-interactive apt-get: no debconf prompts, keep locally modified config files, wait for the dpkg lock. */
const APT_ENV = raw('export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1');
const APT_OPTS = ['-y', '-q', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', '-o', 'DPkg::Lock::Timeout=300'];

export const UPDATE: Shell = steps(
  APT_ENV,
  sh`apt-get update -q -o DPkg::Lock::Timeout=300`,
  // Our own freshness stamp: apt's list files keep the server's dates.
  raw('mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp'),
);

function names(args: AptArgs): string[] {
  return [...new Set(asList(args.name))];
}

function line(n: string, v: string): string {
  return `${n}: ${v}\n`;
}

// dpkg's status letter (the second of db:Status-Abbrev) of a package that is known but not
// installed: a half-configured package is not "absent", and the diff says what it is.
const BROKEN: Record<string, string> = { c: 'config files only', H: 'half-installed', U: 'unpacked, not configured', F: 'half-configured' };

function notInstalled(status: string): string {
  const why = BROKEN[status.charAt(1)];
  return why ? `${why} (dpkg ${status})` : 'absent';
}

export default defineModule<AptArgs>({
  name: 'apt',
  schema: {
    type: 'object',
    properties: {
      name: oneOrMany(PKG),
      state: { enum: ['present', 'absent', 'latest'] },
      update_cache: { type: 'boolean' },
      cache_valid_time: { type: 'integer', minimum: 0 },
      purge: { type: 'boolean' },
      install_recommends: { type: 'boolean' },
      batch: { type: 'boolean' },
    },
    additionalProperties: false,
    anyOf: [has('name'), has('update_cache')],
    errorMessage: 'apt needs name (packages) and/or update_cache',
  },
  facts(args): Fact<unknown>[] {
    const ns = names(args);
    const list: Fact<unknown>[] = [];
    if (ns.length) list.push(pkgFact(ns));
    if (ns.length && args.state === 'latest') list.push(aptCandidateFact(ns));
    if (args.update_cache && args.cache_valid_time !== undefined) list.push(aptCacheFact());
    return list;
  },
  plan(args, facts): Plan {
    const ns = names(args);
    const state = args.state ?? 'present';
    const pk: PkgStates = ns.length ? facts.get(pkgFact(ns)) : {};
    const changes: Change[] = [];
    const diffs: Diff[] = [];

    // The cache: with cache_valid_time it is refreshed whenever older than that (a change
    // of its own). Without it, update_cache means "refresh before installing anything",
    // so a converged host stays ok — except for a bare `update_cache: true` task.
    let cacheStale = false;
    if (args.update_cache) {
      if (args.cache_valid_time !== undefined) {
        const age = facts.get(aptCacheFact());
        cacheStale = age === null || age > args.cache_valid_time;
      } else cacheStale = ns.length === 0;
    }

    const before: string[] = [];
    const after: string[] = [];
    let todo: string[] = [];
    if (state === 'absent') {
      todo = ns.filter((n) => pk[n]?.installed || (args.purge && pk[n]?.status === 'rc'));
      for (const n of todo) {
        before.push(line(n, pk[n]?.installed ? (pk[n]?.version ?? 'installed') : 'config files'));
        after.push(line(n, args.purge ? 'purged' : 'absent'));
      }
    } else if (state === 'latest') {
      const cand = ns.length ? facts.get(aptCandidateFact(ns)) : {};
      for (const n of ns) {
        const p = pk[n];
        const c = cand[n] ?? null;
        // After a refresh the candidate may move: every package goes to apt-get, which
        // leaves up-to-date ones alone.
        if (!p?.installed || (c !== null && c !== p.version) || cacheStale) {
          todo.push(n);
          before.push(line(n, p?.installed ? (p.version ?? 'installed') : 'absent'));
          after.push(line(n, cacheStale ? 'latest after cache update' : (c ?? 'latest (no candidate known)')));
        }
      }
    } else {
      todo = ns.filter((n) => !pk[n]?.installed);
      for (const n of todo) {
        before.push(line(n, notInstalled(pk[n]?.status ?? '')));
        after.push(line(n, 'present'));
      }
    }

    const installing = state !== 'absent' && todo.length > 0;
    // With a fresh cache (cache_valid_time not exceeded) installs go ahead without a refresh.
    if (cacheStale || (args.update_cache && args.cache_valid_time === undefined && installing)) {
      changes.push({ description: 'update apt cache', script: UPDATE, invalidates: ['apt:cache', 'pkg:*'] });
      diffs.push({ label: 'apt cache', before: 'stale\n', after: 'updated\n' });
    }
    if (todo.length) {
      const list = todo.join(', ');
      if (state === 'absent') {
        changes.push({
          description: `${args.purge ? 'purge' : 'remove'} ${list}`,
          script: steps(APT_ENV, sh`apt-get ${args.purge ? 'purge' : 'remove'} ${APT_OPTS} ${todo}`),
          invalidates: INSTALL_INVALIDATES,
        });
      } else {
        const rec = args.install_recommends ? '--install-recommends' : '--no-install-recommends';
        changes.push({
          description: `${state === 'latest' ? 'install/upgrade' : 'install'} ${list}`,
          script: steps(APT_ENV, sh`apt-get install ${APT_OPTS} ${rec} ${todo}`),
          invalidates: INSTALL_INVALIDATES,
        });
      }
      diffs.push({ label: 'packages', before: before.join(''), after: after.join('') });
    }
    if (!changes.length) return definePlan({ summary: ns.length ? 'all packages in the wanted state' : 'apt cache is fresh' });
    return definePlan({ changes, diffs, summary: changes.map((c) => c.description).join('; ') });
  },
});
