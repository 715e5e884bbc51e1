// git: what a checkout at `dest` is, read without the network: whether it is a repository,
// its HEAD, the URL of one remote and whether tracked files are modified. What the remote's
// branch points at is NOT a fact: it needs the network, and facts are read-only and fast.
import { raw, script, sh } from '../sh.js';
import type { Fact } from './types.js';

export type GitState =
  | { kind: 'nogit' }
  | { kind: 'absent' }
  | { kind: 'notrepo' }
  | { kind: 'repo'; head: string; url: string; dirty: boolean; bare: boolean };

export interface GitProbe {
  dest: string;
  remote?: string;
  bare?: boolean;
  executable?: string;
}

/** `dest/.git/config` (or `dest/config` for a bare repository) marks a repository, as Ansible checks. */
export function gitFact(p: GitProbe): Fact<GitState> {
  const exe = p.executable ?? 'git';
  const remote = p.remote ?? 'origin';
  const git = p.bare ? sh`${exe} --git-dir="$d"` : sh`${exe} -C "$d"`;
  return {
    key: `git:${p.dest}`,
    probe: script(
      sh`command -v ${exe} >/dev/null 2>&1 || { echo nogit; exit 0; }`,
      sh`d=${p.dest}`,
      raw(`[ -e "$d" ] || { echo absent; exit 0; }`),
      raw(p.bare ? `[ -f "$d/config" ] || { echo notrepo; exit 0; }` : `[ -f "$d/.git/config" ] || { echo notrepo; exit 0; }`),
      raw(`echo ${p.bare ? 'bare' : 'repo'}`),
      sh`${git} rev-parse -q --verify HEAD 2>/dev/null || echo`,
      sh`${git} config --get ${`remote.${remote}.url`} 2>/dev/null || echo`,
      // Untracked files are not local modifications (Ansible ignores "??" lines too).
      p.bare ? raw('echo 0') : sh`if [ -n "$(${git} status --porcelain --untracked-files=no 2>/dev/null)" ]; then echo 1; else echo 0; fi`,
    ),
    parse: parseGit,
  };
}

export function parseGit(out: string): GitState {
  const [kind = '', head = '', url = '', dirty = '0'] = out.split('\n');
  if (kind === 'nogit' || kind === 'absent' || kind === 'notrepo') return { kind };
  if (kind !== 'repo' && kind !== 'bare') return { kind: 'notrepo' };
  return { kind: 'repo', head: head.trim(), url: url.trim(), dirty: dirty.trim() === '1', bare: kind === 'bare' };
}

/**
 * A URL with its password hidden (https://user:********@host/). An http(s) user without a
 * password is a token (https://TOKEN@host/), hidden whole; ssh's git@ is a login name, kept.
 */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@]*)@/i, (_m, scheme: string, cred: string) => {
    const colon = cred.indexOf(':');
    if (colon >= 0) return `${scheme}${cred.slice(0, colon)}:********@`;
    return `${scheme}${/^https?:/i.test(scheme) ? '********' : cred}@`;
  });
}
