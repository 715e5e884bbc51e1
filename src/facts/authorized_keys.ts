// authorized_keys: a user's home, primary group and authorized_keys file (state, attributes,
// content), resolved on the host in one probe: the path depends on the home directory,
// which is only known there. Key "user:NAME#authorized_keys:PATH".
import { raw, script, sh } from '../sh.js';
import type { Fact } from './types.js';

export type AuthorizedKeysState =
  | { kind: 'no-user' }
  | {
      kind: 'present';
      home: string;
      group: string;
      file: string;
      dirExists: boolean;
      exists: boolean;
      mode?: string;
      owner?: string;
      fileGroup?: string;
      content: string;
    };

/** `path` may be absolute or start with ~/ (the user's home), as Ansible allows. */
export function authorizedKeysFact(user: string, path?: string): Fact<AuthorizedKeysState> {
  return {
    key: `user:${user}#authorized_keys:${path ?? ''}`,
    probe: script(
      sh`e=$(getent passwd ${user}) || exit 2`,
      raw(`h=$(printf '%s' "$e" | cut -d: -f6)`),
      sh`g=$(id -gn ${user})`,
      path === undefined ? raw('f="$h/.ssh/authorized_keys"') : path.startsWith('~/') ? sh`f="$h"/${path.slice(2)}` : sh`f=${path}`,
      raw(`printf '%s\\n' "$h" "$g" "$f"`),
      raw(`d=\${f%/*}; if [ -d "$d" ]; then echo dir; else echo nodir; fi`),
      raw(`if [ -f "$f" ]; then stat -c '%a %U %G' -- "$f"; base64 -w0 < "$f"; else echo absent; fi`),
    ),
    parse(out, code): AuthorizedKeysState {
      if (code === 2) return { kind: 'no-user' };
      const [home = '', group = '', file = '', dir = '', st = '', b64 = ''] = out.split('\n');
      if (st === 'absent') return { kind: 'present', home, group, file, dirExists: dir === 'dir', exists: false, content: '' };
      const [mode = '', owner = '', fileGroup = ''] = st.split(' ');
      return {
        kind: 'present',
        home,
        group,
        file,
        dirExists: dir === 'dir',
        exists: true,
        mode: mode.padStart(4, '0'),
        owner,
        fileGroup,
        content: Buffer.from(b64, 'base64').toString('utf8'),
      };
    },
  };
}
