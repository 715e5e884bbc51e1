// file: what is at a path (absent, file, directory or link), its mode, owner, group,
// sha256 computed on the host, and optionally its content (for --diff).
import { quote, raw } from '../sh.js';
import type { Fact } from './types.js';

export type FileState =
  | { kind: 'absent' }
  | { kind: 'file'; mode: string; owner: string; group: string; size: number; sha256: string; content?: Buffer }
  | { kind: 'directory'; mode: string; owner: string; group: string }
  | { kind: 'link'; target: string; mode: string; owner: string; group: string };

/** Files larger than this are compared by hash only; their diff says so. */
export const MAX_DIFF_BYTES = 1024 * 1024;

export function normalizeMode(m: string): string {
  return m.padStart(4, '0');
}

export function fileFact(path: string, withContent = false): Fact<FileState> {
  const p = quote(path);
  const content = withContent ? `\n  if [ "$(stat -c %s ${p})" -le ${MAX_DIFF_BYTES} ]; then base64 -w0 < ${p}; fi` : '';
  return {
    key: withContent ? `file:${path}#content` : `file:${path}`,
    probe: raw(`if [ -L ${p} ]; then stat --printf='link\\n%a\\n%U\\n%G\\n' ${p}; readlink ${p}
elif [ -d ${p} ]; then stat --printf='directory\\n%a\\n%U\\n%G\\n' ${p}
elif [ -e ${p} ]; then stat --printf='file\\n%a\\n%U\\n%G\\n%s\\n' ${p}; sha256sum < ${p} | cut -c1-64${content}
else echo absent; fi`),
    parse(out: string): FileState {
      const [kind, mode = '', owner = '', group = '', ...rest] = out.split('\n');
      if (kind === 'directory') return { kind, mode: normalizeMode(mode), owner, group };
      if (kind === 'link') return { kind, mode: normalizeMode(mode), owner, group, target: rest[0] ?? '' };
      if (kind === 'file') {
        const [size = '0', sha256 = '', b64] = rest;
        const st: FileState = { kind, mode: normalizeMode(mode), owner, group, size: Number(size), sha256 };
        if (withContent && b64 !== undefined && b64 !== '') st.content = Buffer.from(b64, 'base64');
        else if (withContent && Number(size) === 0) st.content = Buffer.alloc(0);
        return st;
      }
      return { kind: 'absent' };
    },
  };
}

/** Only whether something (file, directory, link, even dangling) is at a path: cheap, no hashing. */
export function pathExistsFact(path: string): Fact<boolean> {
  const p = quote(path);
  return {
    key: `file:${path}#exists`,
    probe: raw(`[ -e ${p} ] || [ -L ${p} ]`),
    parse: (_out: string, code: number): boolean => code === 0,
  };
}
