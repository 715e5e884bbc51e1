import { expect } from 'chai';
import authorized_key, { parseKey, type AuthorizedKeyArgs } from '../../../src/modules/authorized_key.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const K1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKEYONE alice@laptop';
const K2 = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABKEYTWO bob@desk';
const F = '/home/alice/.ssh/authorized_keys';
const st = (content: string | null, dirExists = true) => ({
  'user:alice#authorized_keys:':
    content === null
      ? { kind: 'present', home: '/home/alice', group: 'alice', file: F, dirExists, exists: false, content: '' }
      : { kind: 'present', home: '/home/alice', group: 'alice', file: F, dirExists, exists: true, mode: '0600', owner: 'alice', fileGroup: 'alice', content },
});

const cases: Case<AuthorizedKeyArgs>[] = [
  {
    name: 'no file: .ssh made 0700, the key written 0600, the diff shows the comment only',
    args: { user: 'alice', key: K1 },
    facts: st(null, false),
    expect: {
      status: 'changed',
      stdin: `${K1}\n`,
      scriptMatches: [/mkdir -p -- \/home\/alice\/\.ssh/, /chmod 0700 \/home\/alice\/\.ssh/, /chmod 0600 "\$tmp"/, /chown alice:alice "\$tmp"/],
      diff: [{ label: `${F} (keys)`, before: '', after: 'ssh-ed25519 alice@laptop\n' }],
    },
  },
  { name: 'key present: ok', args: { user: 'alice', key: K1 }, facts: st(`${K2}\n${K1}\n`), expect: { status: 'ok' } },
  {
    name: 'same key, new options: replaced in place',
    args: { user: 'alice', key: K1, key_options: 'no-pty' },
    facts: st(`${K1}\n`),
    expect: { status: 'changed', stdin: `no-pty ${K1}\n` },
  },
  {
    name: 'exclusive removes every other key',
    args: { user: 'alice', key: K1, exclusive: true },
    facts: st(`# old\n${K2}\n${K1}\n`),
    expect: {
      status: 'changed',
      stdin: `${K1}\n`,
      diff: [{ label: `${F} (keys)`, before: 'ssh-rsa bob@desk\nssh-ed25519 alice@laptop\n', after: 'ssh-ed25519 alice@laptop\n' }],
    },
  },
  {
    name: 'state absent removes the key, keeps the rest',
    args: { user: 'alice', key: K1, state: 'absent' },
    facts: st(`${K2}\n${K1}\n`),
    expect: { status: 'changed', stdin: `${K2}\n` },
  },
  { name: 'absent and not there: ok', args: { user: 'alice', key: K1, state: 'absent' }, facts: st(null), expect: { status: 'ok' } },
  {
    name: 'comment overrides the key comment',
    args: { user: 'alice', key: K1, comment: 'deploy' },
    facts: st(''),
    expect: { status: 'changed', stdin: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKEYONE deploy\n' },
  },
  {
    name: 'unknown user: error',
    args: { user: 'alice', key: K1 },
    facts: { 'user:alice#authorized_keys:': { kind: 'no-user' } },
    expect: { status: 'error', error: /Failed to lookup user alice/ },
  },
  { name: 'not a key: error', args: { user: 'alice', key: 'hello' }, facts: st(''), expect: { status: 'error', error: /no valid public key/ } },
];

describe('modules/authorized_key', () => {
  runTable(authorized_key, cases);
  it('no diff ever holds a key body', () => {
    const p = authorized_key.plan(
      { user: 'alice', key: `${K1}\n${K2}`, exclusive: true },
      { get: (f) => st('ssh-ed25519 AAAAOTHER old@x\n')[f.key as 'user:alice#authorized_keys:'] as never },
      { diff: true } as never,
    );
    expect(JSON.stringify(p.diffs)).not.to.match(/AAAA/);
  });
  it('parses options with quoted spaces', () => {
    expect(parseKey(`command="echo hi there",no-pty ${K1}`)).to.deep.include({
      options: 'command="echo hi there",no-pty',
      type: 'ssh-ed25519',
      comment: 'alice@laptop',
    });
  });
  runSchemaTable(authorized_key, [
    // geerlingguy.github-users / Ansible docs
    { name: 'docs: key from a lookup, exclusive', args: { user: 'charlie', state: 'present', key: K1, exclusive: true, manage_dir: true }, valid: true },
    {
      name: 'a URL key is refused with a hint',
      args: { user: 'charlie', key: 'https://github.com/charlie.keys' },
      valid: false,
      message: /does not download keys/,
    },
    { name: 'missing key', args: { user: 'charlie' }, valid: false },
  ]);
});
