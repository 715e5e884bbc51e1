// unarchive: extract a tar archive (plain, gzip, bzip2 if the host has it) into an existing
// directory. src is a controller file sent on stdin (remote_src: no, the default) or a file
// already on the host (remote_src: yes). What is compared, read-only, before extracting:
// - controller src: the archive is read here; every member becomes a file fact under dest
//   (type, size, sha256, link target) in the host's batched probe: no transfer when in sync.
// - remote src: `tar --diff` against dest on the host (what Ansible does), in the fact batch.
// The archive is listed in full (`tar -t`, which reads it to the end and checks gzip's CRC)
// before anything is extracted, so a truncated or corrupt archive never half-lands in dest.
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { TaskError } from '../errors.js';
import { fileFact, normalizeMode, pathExistsFact, type FileState } from '../facts/file.js';
import type { Fact } from '../facts/types.js';
import { quote, raw, script, sh, type Shell } from '../sh.js';
import { ownerSpec, PROBES } from './common/put-file.js';
import { absPathSchema, asList, fileAttrSchema, oneOrMany } from './common/schema.js';
import { defineModule, definePlan, type ModuleContext } from './types.js';

export interface UnarchiveArgs {
  src: string;
  dest: string;
  remote_src?: boolean;
  /** Ansible's deprecated inverse of remote_src: `copy: no` is `remote_src: yes`. */
  copy?: boolean;
  creates?: string;
  list_files?: boolean;
  extra_opts?: string[];
  mode?: string;
  owner?: string;
  group?: string;
  keep_newer?: boolean;
  exclude?: string | string[];
  include?: string | string[];
}

export interface Member {
  path: string;
  type: 'file' | 'directory' | 'link' | 'other';
  size: number;
  sha256?: string;
  target?: string;
}

const oct = (b: Buffer, at: number, len: number): number =>
  parseInt(
    b
      .subarray(at, at + len)
      .toString('latin1')
      .replace(/\0.*$/s, '')
      .trim() || '0',
    8,
  );
const str = (b: Buffer, at: number, len: number): string =>
  b
    .subarray(at, at + len)
    .toString('utf8')
    .replace(/\0.*$/s, '');

/** The archive's kind from its first bytes (not its name). */
export function archiveKind(b: Buffer): 'gzip' | 'bzip2' | 'xz' | 'zip' | 'tar' | 'unknown' {
  if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (b.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (b.subarray(0, 4).toString('latin1') === 'PK\x03\x04') return 'zip';
  if (b.length >= 512 && b.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  return 'unknown';
}

/** Members of a tar (ustar, GNU long names, pax path/linkpath), read on the controller. */
export function tarMembers(archive: Buffer): Member[] {
  const kind = archiveKind(archive);
  if (kind === 'bzip2' || kind === 'xz')
    throw new TaskError(`a ${kind} archive cannot be compared on the controller`, 'use a .tar or .tar.gz, or copy it to the host and set remote_src: yes');
  if (kind === 'zip')
    throw new TaskError(
      'zip archives are not supported by unarchive',
      'they need the package unzip on the host; repack as .tar.gz, or install unzip and use command: unzip',
    );
  if (kind !== 'tar' && kind !== 'gzip') throw new TaskError('src is not a tar archive (plain or gzip)');
  const b = kind === 'gzip' ? gunzipSync(archive) : archive;
  const out: Member[] = [];
  let at = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  while (at + 512 <= b.length) {
    const h = b.subarray(at, at + 512);
    if (h.every((x) => x === 0)) break;
    const size = oct(h, 124, 12);
    const flag = String.fromCharCode(h[156] ?? 0);
    const data = b.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (flag === 'L') longName = data.toString('utf8').replace(/\0.*$/s, '');
    else if (flag === 'K') longLink = data.toString('utf8').replace(/\0.*$/s, '');
    else if (flag === 'x') {
      for (const rec of data.toString('utf8').split('\n')) {
        const m = /^\d+ (path|linkpath)=(.*)$/s.exec(rec);
        if (m?.[1] === 'path') longName = m[2];
        if (m?.[1] === 'linkpath') longLink = m[2];
      }
    } else if (flag === 'g') {
      // global pax header: nothing plumb compares
    } else {
      const prefix = h.subarray(257, 262).toString('latin1') === 'ustar' ? str(h, 345, 155) : '';
      const name = longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100));
      const target = longLink ?? str(h, 157, 100);
      longName = longLink = undefined;
      const path = name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
      if (path === '' || path === '.') continue;
      if (path.startsWith('/') || path.split('/').includes('..'))
        throw new TaskError(`archive member ${JSON.stringify(name)} would land outside dest`, 'plumb refuses archives with absolute or .. member names');
      if (flag === '0' || flag === '\0' || flag === '7') out.push({ path, type: 'file', size, sha256: createHash('sha256').update(data).digest('hex') });
      else if (flag === '5') out.push({ path, type: 'directory', size: 0 });
      else if (flag === '2') out.push({ path, type: 'link', size: 0, target });
      else out.push({ path, type: 'other', size: 0 });
    }
  }
  return out;
}

/** tar's --exclude semantics, roughly: a glob matching the whole member path or any trailing part of it. */
export function globMatches(pattern: string, path: string): boolean {
  const re = new RegExp(
    `(^|/)${pattern
      .replace(/\/+$/, '')
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^]*')
      .replace(/\?/g, '.')}(/|$)`,
  );
  return re.test(path);
}

function selected(args: UnarchiveArgs, members: Member[]): Member[] {
  const inc = asList(args.include);
  const exc = asList(args.exclude);
  return members.filter(
    (m) =>
      (inc.length === 0 || inc.some((p) => m.path === p.replace(/\/+$/, '') || m.path.startsWith(`${p.replace(/\/+$/, '')}/`))) &&
      !exc.some((p) => globMatches(p, m.path)),
  );
}

const isRemote = (a: UnarchiveArgs): boolean => a.remote_src === true || a.copy === false;

const memberFact = (dest: string, m: Member) => fileFact(`${dest.replace(/\/+$/, '')}/${m.path}`);

/** Remote src: `tar --diff` against dest, run read-only in the fact batch. */
export function tarDiffFact(
  src: string,
  dest: string,
  listFiles: boolean,
  strip = 0,
): Fact<{ src: 'absent' | 'present' | 'zip'; unzip?: boolean; code: number; lines: string[]; files: string[] }> {
  const s = quote(src);
  const d = quote(dest);
  return {
    key: `cmd:unarchive:${src}:${dest}:${strip}`, // any change may alter src or dest: every change invalidates cmd:*
    probe: raw(
      `if [ ! -f ${s} ]; then echo @nosrc; elif [ "$(head -c 2 ${s})" = PK ]; then echo @zip; command -v unzip >/dev/null && echo @unzip; else LC_ALL=C tar --diff -f ${s} -C ${d}${strip ? ` --strip-components=${strip}` : ''} 2>&1 | head -n 50${listFiles ? `; echo @files; LC_ALL=C tar -tf ${s} 2>/dev/null | head -n 10000` : ''}; fi`,
    ),
    parse(out) {
      if (out.startsWith('@nosrc')) return { src: 'absent', code: 2, lines: [], files: [] };
      if (out.startsWith('@zip')) return { src: 'zip', unzip: out.includes('@unzip'), code: 2, lines: [], files: [] };
      const [diff = '', files = ''] = out.split('@files\n');
      const lines = diff.split('\n').filter((l) => l !== '');
      return { src: 'present', code: lines.length ? 1 : 0, lines, files: files.split('\n').filter(Boolean) };
    },
  };
}

/** Lines of `tar --diff` that are a real difference (owner/mode lines are ignored when the task sets them). */
function realDiffs(args: UnarchiveArgs, lines: string[]): string[] {
  return lines.filter(
    (l) =>
      !(args.owner !== undefined && /: Uid differs$/.test(l)) &&
      !(args.group !== undefined && /: Gid differs$/.test(l)) &&
      !(args.mode !== undefined && /: Mode differs$/.test(l)) &&
      // a member stripped to nothing (--strip-components) is not extracted: nothing to compare
      !/^tar: (Removing leading|.*: Not found in archive|: Warning: Cannot stat)/.test(l),
  );
}

function differs(args: UnarchiveArgs, m: Member, st: FileState): boolean {
  if (st.kind !== 'absent' && m.type !== 'link') {
    if (args.owner !== undefined && st.owner !== args.owner) return true;
    if (args.group !== undefined && st.group !== args.group) return true;
    if (args.mode !== undefined && st.mode !== normalizeMode(args.mode)) return true;
  }
  if (m.type === 'file') return st.kind !== 'file' || st.sha256 !== m.sha256;
  if (m.type === 'directory') return st.kind !== 'directory';
  if (m.type === 'link') return st.kind !== 'link' || st.target !== m.target;
  return st.kind === 'absent';
}

/** `--strip-components=N` (or `--strip-components N`) among extra_opts: 0 when absent. */
export function stripOf(extra: readonly string[] = []): number {
  for (const [i, o] of extra.entries()) {
    const m = /^--strip-components(?:=(\d+))?$/.exec(o);
    if (m) return Number(m[1] ?? extra[i + 1] ?? 0);
  }
  return 0;
}

/** Members as they land in dest: leading components stripped as tar will (those left empty are not extracted). */
function stripped(members: Member[], n: number): Member[] {
  if (n === 0) return members;
  return members.flatMap((m) => {
    const parts = m.path.split('/');
    return parts.length > n ? [{ ...m, path: parts.slice(n).join('/') }] : [];
  });
}

function membersOf(args: UnarchiveArgs, ctx: ModuleContext): Member[] {
  return stripped(selected(args, tarMembers(ctx.readLocal(args.src))), stripOf(args.extra_opts));
}

/** The extraction: verify the archive reads to the end, then extract; then the attributes the task names. */
function extractScript(args: UnarchiveArgs, archive: Shell): Shell {
  const chown = ownerSpec(args.owner, args.group);
  const excludes = asList(args.exclude).map((p) => `--exclude=${p}`);
  const opts = [...(args.keep_newer ? ['--keep-newer-files'] : []), ...excludes, ...(args.extra_opts ?? [])];
  const inc = asList(args.include);
  const each = (cmd: Shell) =>
    script(
      sh`tar -tf ${archive} ${excludes} -- ${inc} | while IFS= read -r m; do p=${args.dest}/"$m"; if [ -e "$p" ] && [ ! -L "$p" ]; then`,
      cmd,
      raw('fi; done'),
    );
  return script(
    raw('set -e'),
    sh`if [ ! -d ${args.dest} ]; then echo ${`dest ${args.dest} is not a directory`} >&2; exit 1; fi`,
    sh`if ! tar -tf ${archive} >/dev/null; then echo ${`${args.src} is not a readable tar archive: nothing extracted`} >&2; exit 1; fi`,
    sh`tar -xf ${archive} -C ${args.dest} ${opts} -- ${inc}`,
    chown !== null ? each(sh`chown -h ${chown} "$p"`) : null,
    args.mode !== undefined ? each(sh`chmod ${normalizeMode(args.mode)} "$p"`) : null,
  );
}

export default defineModule<UnarchiveArgs>({
  name: 'unarchive',
  schema: {
    type: 'object',
    properties: {
      src: { type: 'string', minLength: 1 },
      dest: absPathSchema,
      remote_src: { type: 'boolean' },
      copy: { type: 'boolean' },
      creates: absPathSchema,
      list_files: { type: 'boolean' },
      extra_opts: { type: 'array', items: { type: 'string' } },
      ...fileAttrSchema,
      keep_newer: { type: 'boolean' },
      exclude: oneOrMany({ type: 'string', minLength: 1 }),
      include: oneOrMany({ type: 'string', minLength: 1 }),
    },
    required: ['src', 'dest'],
    additionalProperties: false,
    allOf: [
      {
        not: { required: ['copy', 'remote_src'], properties: { copy: true, remote_src: true } },
        errorMessage: 'copy (deprecated) and remote_src are mutually exclusive: use remote_src',
      },
    ],
    if: {
      anyOf: [
        { properties: { remote_src: { const: true } }, required: ['remote_src'] },
        { properties: { copy: { const: false } }, required: ['copy'] },
      ],
    },
    then: { properties: { src: absPathSchema } },
  },
  facts(args, ctx) {
    if (args.creates !== undefined) return [pathExistsFact(args.creates)];
    const dest = fileFact(args.dest);
    if (isRemote(args)) return [dest, tarDiffFact(args.src, args.dest, args.list_files === true, stripOf(args.extra_opts))];
    let members: Member[];
    try {
      members = membersOf(args, ctx);
    } catch {
      return [dest]; // plan() reads the archive again and says what is wrong with it
    }
    return [dest, ...members.map((m) => memberFact(args.dest, m))];
  },
  plan(args, facts, ctx) {
    if (args.creates !== undefined) {
      // Checked alone, like Ansible: the archive is not compared when `creates` names the result.
      if (facts.get(pathExistsFact(args.creates))) return definePlan({ summary: `skipped: ${args.creates} exists` });
    }
    const d = args.creates !== undefined ? undefined : facts.get(fileFact(args.dest));
    if (d && d.kind !== 'directory' && !ctx.mayChange(fileFact(args.dest)))
      throw new TaskError(`dest ${args.dest} is not an existing directory`, 'create it first with file: state=directory');
    const invalidates = [`file:${args.dest}`, 'file:*', PROBES];
    const remote = isRemote(args);
    let why: string;
    let files: string[] | undefined;
    if (remote) {
      const fact = tarDiffFact(args.src, args.dest, args.list_files === true, stripOf(args.extra_opts));
      const diff = args.creates !== undefined ? undefined : facts.get(fact);
      if (diff?.src === 'absent' && !ctx.mayChange(fact))
        throw new TaskError(`src ${args.src} not found on the host`, 'remote_src: yes takes a file already on the host');
      if (diff?.src === 'zip')
        throw new TaskError(
          `${args.src} is a zip archive: plumb's unarchive extracts tar archives only`,
          diff.unzip
            ? 'unzip is on the host: use command: unzip -o SRC -d DEST with creates'
            : 'zip needs the package unzip on the host (apt: unzip); or repack as .tar.gz',
        );
      const real = diff ? realDiffs(args, diff.lines) : [];
      files = diff?.files;
      if (diff && diff.src === 'present' && real.length === 0)
        return definePlan({
          summary: 'in sync (tar --diff finds no difference)',
          result: { dest: args.dest, src: args.src, ...(args.list_files ? { files } : {}) },
        });
      why = diff === undefined ? `${args.creates} is absent` : diff.src === 'absent' ? 'src appears in this run' : `tar --diff: ${real.slice(0, 3).join('; ')}`;
    } else {
      const members = membersOf(args, ctx);
      files = members.map((m) => m.path);
      if (args.creates === undefined) {
        const drift = members.filter((m) => differs(args, m, facts.get(memberFact(args.dest, m))));
        if (drift.length === 0)
          return definePlan({
            summary: `in sync (${members.length} members match)`,
            result: { dest: args.dest, src: args.src, ...(args.list_files ? { files } : {}) },
          });
        why = `${drift.length} of ${members.length} members differ: ${drift
          .slice(0, 3)
          .map((m) => m.path)
          .join(', ')}${drift.length > 3 ? ', ...' : ''}`;
      } else why = `${args.creates} is absent`;
    }
    const archive = remote ? sh`${args.src}` : raw('"$arc"');
    const body = extractScript(args, archive);
    const change = remote
      ? { description: `extract ${args.src} into ${args.dest}`, script: body, invalidates }
      : {
          description: `extract ${args.src} into ${args.dest}`,
          script: script(
            sh`arc=$(mktemp ${`${args.dest.replace(/\/+$/, '')}/.plumb.XXXXXX`}) || exit 1`,
            raw(`trap 'rm -f "$arc"' EXIT`),
            raw('cat > "$arc" || exit 1'),
            sh`(${body}) || exit $?`,
          ),
          stdin: ctx.readLocal(args.src),
          invalidates,
        };
    return definePlan({
      changes: [change],
      diffs: [{ label: `${args.dest} (unarchive ${args.src})`, before: `${why}\n`, after: 'archive extracted\n' }],
      summary: `extract ${args.src} into ${args.dest} (${why})`,
      result: { dest: args.dest, src: args.src, ...(args.list_files && files ? { files } : {}) },
    });
  },
});
