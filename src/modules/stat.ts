// stat: facts about a path, registered with Ansible's field names (exists, isdir, mode,
// checksum as sha1 by default, ...). Read-only: always ok.
import { statFact, type ChecksumAlgorithm, type StatInfo } from '../facts/stat.js';
import { defineModule, definePlan, type Vars } from './types.js';
import { absPathSchema, has } from './common/schema.js';

export interface StatArgs {
  path?: string;
  dest?: string;
  name?: string;
  follow?: boolean;
  get_checksum?: boolean;
  checksum_algorithm?: ChecksumAlgorithm;
  checksum?: ChecksumAlgorithm;
  checksum_algo?: ChecksumAlgorithm;
  get_mime?: boolean;
  get_attributes?: boolean;
  get_md5?: boolean;
}

const ALGOS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'];

function factOf(a: StatArgs) {
  const path = a.path ?? a.dest ?? a.name ?? '';
  const algo = a.checksum_algorithm ?? a.checksum ?? a.checksum_algo ?? 'sha1';
  return statFact(path, { follow: a.follow ?? false, checksum: (a.get_checksum ?? true) ? algo : null });
}

const TYPES: Record<string, string> = {
  'regular file': 'isreg',
  'regular empty file': 'isreg',
  directory: 'isdir',
  'symbolic link': 'islnk',
  'character special file': 'ischr',
  'block special file': 'isblk',
  fifo: 'isfifo',
  socket: 'issock',
};

/** Ansible's stat dict. */
export function statResult(s: StatInfo): Vars {
  if (!s.exists) return { exists: false };
  const m = s.rawMode ?? 0;
  const bit = (b: number) => (m & b) !== 0;
  const kind = TYPES[s.type ?? ''];
  const r: Vars = {
    exists: true,
    path: s.path,
    mode: (m & 0o7777).toString(8).padStart(4, '0'),
    ...Object.fromEntries(Object.values(TYPES).map((k) => [k, k === kind])),
    uid: s.uid,
    gid: s.gid,
    pw_name: s.owner,
    gr_name: s.group,
    size: s.size,
    inode: s.inode,
    dev: s.dev,
    nlink: s.nlink,
    atime: s.atime,
    mtime: s.mtime,
    ctime: s.ctime,
    wusr: bit(0o200),
    rusr: bit(0o400),
    xusr: bit(0o100),
    wgrp: bit(0o20),
    rgrp: bit(0o40),
    xgrp: bit(0o10),
    woth: bit(0o2),
    roth: bit(0o4),
    xoth: bit(0o1),
    isuid: bit(0o4000),
    isgid: bit(0o2000),
  };
  if (s.checksum !== undefined) r.checksum = s.checksum;
  if (s.linkTarget !== undefined) {
    r.lnk_target = s.linkTarget;
    r.lnk_source = s.linkSource;
  }
  return r;
}

export default defineModule<StatArgs>({
  name: 'stat',
  schema: {
    type: 'object',
    properties: {
      path: absPathSchema,
      dest: absPathSchema,
      name: absPathSchema,
      follow: { type: 'boolean' },
      get_checksum: { type: 'boolean' },
      checksum_algorithm: { enum: ALGOS },
      checksum: { enum: ALGOS },
      checksum_algo: { enum: ALGOS },
      get_mime: { type: 'boolean' },
      get_attributes: { type: 'boolean' },
      get_md5: { type: 'boolean' },
    },
    additionalProperties: false,
    oneOf: [has('path'), has('dest'), has('name')],
    errorMessage: 'stat needs path (exactly one of path, dest, name)',
  },
  facts: (args) => [factOf(args)],
  plan: (args, facts) => {
    const s = facts.get(factOf(args));
    return definePlan({ summary: s.exists ? `${s.path} exists` : `${s.path} does not exist`, result: { stat: statResult(s) } });
  },
});
