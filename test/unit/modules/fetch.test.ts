import { createHash } from 'node:crypto';
import { expect } from 'chai';
import type { StatInfo } from '../../../src/facts/stat.js';
import fetch, { parseFetch, target, type FetchArgs } from '../../../src/modules/fetch.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const S = '/etc/app/app.conf';
const K = `file:${S}#stat:Lsha1`;
const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
const remote = (content: string): StatInfo => ({ exists: true, path: S, type: 'regular file', size: content.length, checksum: sha1(content) });
const locals = (m: Record<string, string>) => ({ localChecksum: (p: string) => (p in m ? sha1(m[p]!) : undefined) });
const out = (content: string, sum = sha1(content)) => ({ code: 0, stderr: '', stdout: `${Buffer.from(content).toString('base64')}@@plumb-fetch@@${sum}\n` });

const cases: Case<FetchArgs>[] = [
  {
    name: 'absent on the controller -> fetch to dest/<host>/<src>',
    args: { src: S, dest: 'backup' },
    facts: { [K]: remote('a=1\n') },
    ctx: locals({}),
    expect: {
      status: 'changed',
      scriptMatches: [/cat -- \/etc\/app\/app\.conf > "\$tmp"/, /base64 -w0 < "\$tmp"/, /sha1sum < "\$tmp"/],
      result: { dest: 'backup/test-host/etc/app/app.conf' },
    },
  },
  {
    name: 'same sha1 -> ok, nothing transferred',
    args: { src: S, dest: 'backup' },
    facts: { [K]: remote('a=1\n') },
    ctx: locals({ 'backup/test-host/etc/app/app.conf': 'a=1\n' }),
    expect: { status: 'ok' },
  },
  {
    name: 'sha1 differs -> changed',
    args: { src: S, dest: 'backup' },
    facts: { [K]: remote('a=2\n') },
    ctx: locals({ 'backup/test-host/etc/app/app.conf': 'a=1\n' }),
    expect: { status: 'changed', invalidates: [] },
  },
  {
    name: 'flat with a file dest',
    args: { src: S, dest: '/tmp/out/x.conf', flat: true },
    facts: { [K]: remote('a') },
    ctx: locals({ '/tmp/out/x.conf': 'a' }),
    expect: { status: 'ok' },
  },
  {
    name: 'missing, fail_on_missing default yes -> error',
    args: { src: S, dest: 'b' },
    facts: { [K]: { exists: false, path: S } },
    expect: { status: 'error', error: /file not found on the host/ },
  },
  {
    name: 'missing, fail_on_missing: no -> ok with Ansible msg',
    args: { src: S, dest: 'b', fail_on_missing: false },
    facts: { [K]: { exists: false, path: S } },
    expect: { status: 'ok', result: { msg: 'the remote file does not exist, not transferring, ignored' } },
  },
  {
    name: 'a directory -> error',
    args: { src: S, dest: 'b' },
    facts: { [K]: { ...remote(''), type: 'directory' } },
    expect: { status: 'error', error: /fetch fetches files/ },
  },
];

describe('modules/fetch', () => {
  runTable(fetch, cases);
  runSchemaTable(fetch, [
    { name: 'docs example', args: { src: '/tmp/somefile', dest: '/tmp/fetched' }, valid: true },
    { name: 'flat example', args: { src: '/tmp/uniquefile', dest: '/tmp/special/', flat: true }, valid: true },
    { name: '.. in src', args: { src: '/etc/../shadow', dest: '/tmp/x' }, valid: false, message: /\.\. segments/ },
    {
      name: 'kubeconfig to ~/.kube/config, flat (a common kubeadm playbook task)',
      args: { src: '/etc/kubernetes/admin.conf', dest: '~/.kube/config', flat: true },
      valid: true,
    },
    { name: '.. in dest', args: { src: '/etc/x', dest: 'out/../../x' }, valid: false, message: /must not contain \.\. segments/ },
    { name: 'relative src', args: { src: 'etc/x', dest: '/tmp/x' }, valid: false, message: /absolute/ },
  ]);
  const T: Array<[FetchArgs, string, { root: string; path: string }]> = [
    [{ src: S, dest: 'out' }, 'web1', { root: 'out', path: 'web1/etc/app/app.conf' }],
    [{ src: S, dest: 'out/', flat: true }, 'web1', { root: 'out/', path: 'app.conf' }],
    [{ src: S, dest: 'out/x', flat: true }, 'web1', { root: 'out', path: 'x' }],
    [{ src: S, dest: 'x', flat: true }, 'web1', { root: '.', path: 'x' }],
  ];
  for (const [args, host, want] of T) it(`target ${JSON.stringify(args)} on ${host}`, () => expect(target(args, host)).to.deep.equal(want));
  it('a host name that is not a directory name is refused', () => expect(() => target({ src: S, dest: 'o' }, '..')).to.throw(/cannot be a directory name/));
  it('the local step returns the content and checks its sha1', () => {
    const p = fetch.plan({ src: S, dest: 'o' }, { get: () => remote('a=1\n') as never }, { host: 'h', mayChange: () => false } as never);
    const c = p.changes[0]!;
    expect(c.local!(out('a=1\n'))).to.deep.equal({ root: 'o', path: 'h/etc/app/app.conf', content: Buffer.from('a=1\n') });
    expect(() => c.local!(out('a=1\n', sha1('other')))).to.throw(/checksum mismatch/);
    expect(c.parse!(out('a=1\n'))).to.deep.equal({ checksum: sha1('a=1\n') });
  });
  it('parses what the host sent', () => expect(parseFetch(out('').stdout)).to.deep.equal({ content: Buffer.alloc(0), sha1: sha1('') }));
});
