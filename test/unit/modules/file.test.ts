import { expect } from 'chai';
import file, { isProtectedPath, type FileArgs } from '../../../src/modules/file.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const P = '/srv/app';
const dir = (over = {}) => ({ kind: 'directory', mode: '0755', owner: 'root', group: 'root', ...over });
const reg = (over = {}) => ({ kind: 'file', mode: '0644', owner: 'root', group: 'root', size: 3, sha256: 'x', ...over });
const link = (target: string, over = {}) => ({ kind: 'link', target, mode: '0777', owner: 'root', group: 'root', ...over });
const absent = { kind: 'absent' };
const k = (p = P) => `file:${p}`;

const cases: Case<FileArgs>[] = [
  // directory
  {
    name: 'directory: absent -> mkdir -p with attributes',
    args: { path: P, state: 'directory', owner: 'app', group: 'app', mode: '0750' },
    facts: { [k()]: absent },
    expect: {
      status: 'changed',
      scriptMatches: [/^set -e$/m, /mkdir -p -- \/srv\/app/, /chown -h app:app \/srv\/app/, /chmod 0750 \/srv\/app/],
      diff: [{ label: P, before: 'state=absent\n', after: 'state=directory\nowner=app\ngroup=app\nmode=0750\n' }],
      invalidates: ['file:/srv/app', 'file:/srv'],
    },
  },
  { name: 'directory: present with same attrs -> ok', args: { path: P, state: 'directory', mode: '755' }, facts: { [k()]: dir() }, expect: { status: 'ok' } },
  {
    name: 'directory: drifted mode -> chmod with a diff',
    args: { path: P, state: 'directory', mode: '0700' },
    facts: { [k()]: dir() },
    expect: {
      status: 'changed',
      scriptMatches: [/chmod 0700 \/srv\/app/],
      scriptNotMatches: [/mkdir/, /chown/],
      diff: [{ label: P, before: 'state=directory\nowner=root\ngroup=root\nmode=0755\n', after: 'state=directory\nowner=root\ngroup=root\nmode=0700\n' }],
    },
  },
  {
    name: 'directory: a regular file is there -> error',
    args: { path: P, state: 'directory' },
    facts: { [k()]: reg() },
    expect: { status: 'error', error: /regular file/ },
  },
  // absent
  { name: 'absent: already absent -> ok', args: { path: P, state: 'absent' }, facts: { [k()]: absent }, expect: { status: 'ok' } },
  {
    name: 'absent: file -> rm -f',
    args: { path: '/etc/nginx/sites-enabled/default', state: 'absent' },
    facts: { [k('/etc/nginx/sites-enabled/default')]: link('/etc/nginx/sites-available/default') },
    expect: { status: 'changed', scriptMatches: [/rm -f -- \/etc\/nginx\/sites-enabled\/default/], scriptNotMatches: [/rm -rf/] },
  },
  {
    name: 'absent: directory -> rm -rf, invalidating everything below it',
    args: { path: P, state: 'absent' },
    facts: { [k()]: dir() },
    expect: {
      status: 'changed',
      scriptMatches: [/rm -rf -- \/srv\/app/],
      invalidates: ['file:*'],
      diff: [{ label: P, before: 'state=directory\nowner=root\ngroup=root\nmode=0755\n', after: 'state=absent\n' }],
    },
  },
  {
    name: 'absent: refuses a top-level directory',
    args: { path: '/usr/', state: 'absent' },
    facts: { [k('/usr/')]: dir() },
    expect: { status: 'error', error: /refusing to remove/ },
  },
  {
    name: 'absent: refuses /var/lib',
    args: { path: '/var/lib', state: 'absent' },
    facts: { [k('/var/lib')]: dir() },
    expect: { status: 'error', error: /system directory/ },
  },
  {
    name: 'absent, check mode: absent now but an earlier unapplied change may create it -> would change',
    args: { path: '/etc/nginx/sites-enabled/default', state: 'absent' },
    facts: { [k('/etc/nginx/sites-enabled/default')]: absent },
    ctx: { mayChange: () => true },
    expect: { status: 'changed', scriptMatches: [/if \[ -d /] },
  },
  // link
  {
    name: 'link: absent -> ln -sfn',
    args: { path: '/etc/nginx/sites-enabled/app', state: 'link', src: '/etc/nginx/sites-available/app' },
    facts: { [k('/etc/nginx/sites-enabled/app')]: absent },
    expect: {
      status: 'changed',
      scriptMatches: [/ln -sfn -- \/etc\/nginx\/sites-available\/app \/etc\/nginx\/sites-enabled\/app/],
      diff: [{ label: '/etc/nginx/sites-enabled/app', before: 'state=absent\n', after: 'state=link\ntarget=/etc/nginx/sites-available/app\n' }],
    },
  },
  { name: 'link: same target -> ok', args: { path: '/x/l', state: 'link', src: '/x/t' }, facts: { [k('/x/l')]: link('/x/t') }, expect: { status: 'ok' } },
  {
    name: 'link: other target -> repoint with a diff',
    args: { path: '/x/l', state: 'link', src: '/x/t2' },
    facts: { [k('/x/l')]: link('/x/t') },
    expect: {
      status: 'changed',
      scriptMatches: [/ln -sfn -- \/x\/t2 \/x\/l/],
      diff: [{ label: '/x/l', before: 'state=link\ntarget=/x/t\nowner=root\ngroup=root\n', after: 'state=link\ntarget=/x/t2\nowner=root\ngroup=root\n' }],
    },
  },
  {
    name: 'link: owner drift -> chown -h',
    args: { path: '/x/l', state: 'link', src: '/x/t', owner: 'app' },
    facts: { [k('/x/l')]: link('/x/t') },
    expect: { status: 'changed', scriptMatches: [/chown -h app \/x\/l/] },
  },
  {
    name: 'link: a regular file is there -> error without force',
    args: { path: '/x/l', state: 'link', src: '/x/t' },
    facts: { [k('/x/l')]: reg() },
    expect: { status: 'error', error: /force: true/ },
  },
  {
    name: 'link: force replaces a regular file',
    args: { path: '/x/l', state: 'link', src: '/x/t', force: true },
    facts: { [k('/x/l')]: reg() },
    expect: { status: 'changed', scriptMatches: [/ln -sfn/] },
  },
  {
    name: 'link: never replaces a directory',
    args: { path: '/x/l', state: 'link', src: '/x/t', force: true },
    facts: { [k('/x/l')]: dir() },
    expect: { status: 'error', error: /is a directory/ },
  },
  // file / touch
  { name: 'file: attrs in sync -> ok', args: { path: '/x/f', mode: '0644', owner: 'root' }, facts: { [k('/x/f')]: reg() }, expect: { status: 'ok' } },
  {
    name: 'file: group drift -> chown :group only',
    args: { path: '/x/f', group: 'adm' },
    facts: { [k('/x/f')]: reg() },
    expect: {
      status: 'changed',
      scriptMatches: [/chown -h :adm \/x\/f/],
      scriptNotMatches: [/chmod/],
      diff: [{ label: '/x/f', before: 'state=file\nowner=root\ngroup=root\nmode=0644\n', after: 'state=file\nowner=root\ngroup=adm\nmode=0644\n' }],
    },
  },
  {
    name: 'file: mode drift -> chmod, after checking in the same command that the path is not a symlink by now',
    args: { path: '/x/f', mode: '0600', owner: 'app' },
    facts: { [k('/x/f')]: reg() },
    expect: { status: 'changed', scriptMatches: [/if \[ -L \/x\/f \]; then .*exit 1; fi\nchown -h app \/x\/f\nchmod 0600 \/x\/f/] },
  },
  {
    name: 'file: missing -> error (state: file never creates)',
    args: { path: '/x/f', state: 'file', mode: '0600' },
    facts: { [k('/x/f')]: absent },
    expect: { status: 'error', error: /does not exist/ },
  },
  {
    name: 'file: missing but an earlier unapplied change may create it -> would change',
    args: { path: '/x/f', state: 'file', mode: '0600' },
    facts: { [k('/x/f')]: absent },
    ctx: { mayChange: () => true },
    expect: { status: 'changed', scriptMatches: [/chmod 0600/] },
  },
  {
    name: 'touch: absent -> touch',
    args: { path: '/x/f', state: 'touch', mode: '0600' },
    facts: { [k('/x/f')]: absent },
    expect: { status: 'changed', scriptMatches: [/touch -- \/x\/f/, /chmod 0600/] },
  },
  {
    name: 'touch: present -> ok (no mtime bump, no fake change)',
    args: { path: '/x/f', state: 'touch' },
    facts: { [k('/x/f')]: reg() },
    expect: { status: 'ok' },
  },
];

describe('modules/file', () => {
  runTable(file, cases);
  runSchemaTable(file, [
    { name: 'directory with mode', args: { path: P, state: 'directory', mode: '0755' }, valid: true },
    { name: 'unquoted mode 755', args: { path: P, state: 'directory', mode: 755 }, valid: false, message: /quoted octal/ },
    { name: 'unknown key', args: { path: P, recurse: true }, valid: false, message: /'recurse'/ },
    { name: 'link without src', args: { path: P, state: 'link' }, valid: false, message: /needs src/ },
    { name: 'link with mode', args: { path: P, state: 'link', src: '/x', mode: '0644' }, valid: false, message: /takes no mode/ },
    { name: 'src without link', args: { path: P, src: '/x' }, valid: false, message: /only for state: link/ },
    { name: 'a newline in the path says so', args: { path: '/srv/a\nb', state: 'directory' }, valid: false, message: /must not contain a newline/ },
    { name: 'a NUL in the path', args: { path: '/srv/a\u0000b' }, valid: false, message: /must not contain a newline, carriage return or NUL/ },
    { name: '.. segment', args: { path: '/srv/../etc' }, valid: false, message: /must not contain \. or \.\. segments/ },
    { name: 'relative path', args: { path: 'srv/app' }, valid: false, message: /must be an absolute path/ },
    { name: 'dots inside names are fine', args: { path: '/srv/.app/..x/a.b' }, valid: true },
    { name: 'unknown state', args: { path: P, state: 'hard' }, valid: false },
    { name: 'relative path', args: { path: 'srv/app' }, valid: false, message: /absolute/ },
  ]);
  it('protects / and system directories, not ordinary paths', () => {
    for (const p of ['/', '//', '/etc', '/etc/', '/usr/lib', '/var//lib/', '/home']) expect(isProtectedPath(p), p).to.equal(true);
    for (const p of ['/srv/app', '/etc/nginx', '/var/lib/app', '/home/alice']) expect(isProtectedPath(p), p).to.equal(false);
  });
});
