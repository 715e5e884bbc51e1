// user / group: account database entries via getent (so LDAP/sssd users count too),
// and a user's group memberships via id.
import { sh, script } from '../sh.js';
import type { Fact } from './types.js';

export type UserState =
  | { kind: 'absent' }
  | { kind: 'present'; uid: number; gid: number; comment: string; home: string; shell: string; group: string; groups: string[] };

export type GroupState = { kind: 'absent' } | { kind: 'present'; gid: number; members: string[] };

export function userFact(name: string): Fact<UserState> {
  return {
    key: `user:${name}`,
    probe: script(sh`getent passwd ${name} || exit 2`, sh`id -gn ${name}`, sh`id -Gn ${name}`),
    parse(out: string, code: number): UserState {
      const [entry = '', group = '', groups = ''] = out.split('\n');
      const f = entry.split(':');
      if (code !== 0 || f.length < 7) return { kind: 'absent' };
      return {
        kind: 'present',
        uid: Number(f[2]),
        gid: Number(f[3]),
        comment: f[4] ?? '',
        home: f[5] ?? '',
        shell: f[6] ?? '',
        group,
        groups: groups.split(' ').filter((g) => g !== ''),
      };
    },
  };
}

export function groupFact(name: string): Fact<GroupState> {
  return {
    key: `group:${name}`,
    probe: sh`getent group ${name}`,
    parse(out: string, code: number): GroupState {
      const f = out.split('\n')[0]?.split(':') ?? [];
      if (code !== 0 || f.length < 4) return { kind: 'absent' };
      return { kind: 'present', gid: Number(f[2]), members: (f[3] ?? '').split(',').filter((m) => m !== '') };
    },
  };
}
