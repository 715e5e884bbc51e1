import { expect } from 'chai';
import alternatives, { type AlternativesArgs } from '../../../src/modules/alternatives.js';
import { alternativesFact, type AltState } from '../../../src/facts/sys.js';
import { fakeContext, fakeFacts } from '../helpers.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const VIM = '/usr/bin/vim.basic';
const NANO = '/bin/nano';
const alt = (st: AltState, name = 'editor') => ({ [`sys:alt:${name}`]: st });
const manualVim = alt({ value: VIM, status: 'manual', paths: [NANO, VIM] });
const autoNano = alt({ value: NANO, status: 'auto', paths: [NANO, VIM] });
const noGroup = alt({ value: '', status: '', paths: [] });

const cases: Case<AlternativesArgs>[] = [
  {
    name: 'selected already, manual: ok, nothing run',
    args: { name: 'editor', path: VIM },
    facts: manualVim,
    expect: { status: 'ok', changes: 0 },
  },
  {
    name: 'registered but another path selected (auto): --set only, with a diff',
    args: { name: 'editor', path: VIM },
    facts: autoNano,
    expect: {
      status: 'changed',
      changes: 1,
      scriptMatches: [/^update-alternatives --set editor \/usr\/bin\/vim\.basic$/m],
      scriptNotMatches: [/--install/, /--auto/, /--remove/],
      diff: [{ label: 'alternatives editor', before: '/bin/nano (auto)\n', after: '/usr/bin/vim.basic (manual)\n' }],
      invalidates: ['sys:alt:editor'],
    },
  },
  {
    name: 'the right path but in auto mode: selected pins it (--set)',
    args: { name: 'editor', path: VIM },
    facts: alt({ value: VIM, status: 'auto', paths: [NANO, VIM] }),
    expect: { status: 'changed', scriptMatches: [/--set editor \/usr\/bin\/vim\.basic/], scriptNotMatches: [/--install/] },
  },
  {
    name: 'path not registered, group exists: --install with the priority, then --set',
    args: { name: 'editor', path: '/usr/bin/nvim', priority: 30 },
    facts: manualVim,
    expect: {
      status: 'changed',
      changes: 1,
      scriptMatches: [
        /^set -e$/m,
        /^update-alternatives --install \/usr\/bin\/editor editor \/usr\/bin\/nvim 30$/m,
        /^update-alternatives --set editor \/usr\/bin\/nvim$/m,
      ],
      diff: [{ label: 'alternatives editor', before: '/usr/bin/vim.basic (manual)\n', after: '/usr/bin/nvim (manual)\n' }],
    },
  },
  {
    name: 'a new group with link: installed at the default priority 50 and selected',
    args: { name: 'java', path: '/opt/jdk/bin/java', link: '/usr/local/bin/java' },
    facts: alt({ value: '', status: '', paths: [] }, 'java'),
    expect: {
      status: 'changed',
      scriptMatches: [/--install \/usr\/local\/bin\/java java \/opt\/jdk\/bin\/java 50$/m, /--set java \/opt\/jdk\/bin\/java/],
      diff: [{ label: 'alternatives java', before: '(none) (absent)\n', after: '/opt/jdk/bin/java (manual)\n' }],
    },
  },
  {
    name: 'a new group without link: error that says to give link',
    args: { name: 'editor', path: VIM },
    facts: noGroup,
    expect: { status: 'error', error: /alternatives editor: no such link group/ },
  },
  {
    name: 'check mode, an unapplied change may create the group: plans --install on /usr/bin/<name>',
    args: { name: 'editor', path: VIM },
    facts: noGroup,
    ctx: { mayChange: (f) => f.key === 'sys:alt:editor' },
    expect: { status: 'changed', scriptMatches: [/--install \/usr\/bin\/editor editor \/usr\/bin\/vim\.basic 50/] },
  },
  {
    name: 'registered at another priority than the one given: --install again with it (as Ansible), no --set when already selected',
    args: { name: 'editor', path: VIM, priority: 60 },
    facts: alt({ value: VIM, status: 'manual', paths: [NANO, VIM], priorities: { [NANO]: 40, [VIM]: 30 } }),
    expect: {
      status: 'changed',
      changes: 1,
      scriptMatches: [/^update-alternatives --install \/usr\/bin\/editor editor \/usr\/bin\/vim\.basic 60$/m],
      scriptNotMatches: [/--set/],
    },
  },
  {
    name: 'registered at the priority given: ok',
    args: { name: 'editor', path: VIM, priority: 30 },
    facts: alt({ value: VIM, status: 'manual', paths: [NANO, VIM], priorities: { [NANO]: 40, [VIM]: 30 } }),
    expect: { status: 'ok', changes: 0 },
  },
  {
    name: 'registered, no priority given: its priority is left alone',
    args: { name: 'editor', path: VIM },
    facts: alt({ value: VIM, status: 'manual', paths: [NANO, VIM], priorities: { [NANO]: 40, [VIM]: 30 } }),
    expect: { status: 'ok', changes: 0 },
  },
  {
    name: 'present: registered already: ok even though another path is selected',
    args: { name: 'editor', path: VIM, state: 'present' },
    facts: autoNano,
    expect: { status: 'ok' },
  },
  {
    name: 'present: not registered: --install only, never --set',
    args: { name: 'editor', path: '/usr/bin/nvim', state: 'present', priority: 10 },
    facts: autoNano,
    expect: { status: 'changed', scriptMatches: [/--install \/usr\/bin\/editor editor \/usr\/bin\/nvim 10/], scriptNotMatches: [/--set/] },
  },
  {
    name: 'auto: the group is manual: --auto, diff says highest priority',
    args: { name: 'editor', path: VIM, state: 'auto' },
    facts: manualVim,
    expect: {
      status: 'changed',
      scriptMatches: [/^update-alternatives --auto editor$/m],
      scriptNotMatches: [/--set/, /--install/],
      diff: [{ label: 'alternatives editor', before: '/usr/bin/vim.basic (manual)\n', after: '(highest priority) (auto)\n' }],
    },
  },
  { name: 'auto: already auto: ok', args: { name: 'editor', path: NANO, state: 'auto' }, facts: autoNano, expect: { status: 'ok' } },
  {
    name: 'absent: registered: --remove, diff says removed',
    args: { name: 'editor', path: VIM, state: 'absent' },
    facts: manualVim,
    expect: {
      status: 'changed',
      scriptMatches: [/^update-alternatives --remove editor \/usr\/bin\/vim\.basic$/m],
      scriptNotMatches: [/--set/, /--install/],
      diff: [{ label: 'alternatives editor', before: '/usr/bin/vim.basic (manual)\n', after: '/usr/bin/vim.basic removed\n' }],
    },
  },
  { name: 'absent: not registered: ok', args: { name: 'editor', path: '/usr/bin/nvim', state: 'absent' }, facts: manualVim, expect: { status: 'ok' } },
  { name: 'absent: no group at all: ok (no error about link)', args: { name: 'editor', path: VIM, state: 'absent' }, facts: noGroup, expect: { status: 'ok' } },
];

// `update-alternatives --query` as Debian 12 prints it (LC_ALL=C).
const QUERY_EDITOR = `Name: editor
Link: /usr/bin/editor
Slaves:
 editor.1.gz /usr/share/man/man1/editor.1.gz
Status: manual
Best: /bin/nano
Value: /usr/bin/vim.basic

Alternative: /bin/nano
Priority: 40
Slaves:
 editor.1.gz /usr/share/man/man1/nano.1.gz

Alternative: /usr/bin/vim.basic
Priority: 30
Slaves:
 editor.1.gz /usr/share/man/man1/vim.1.gz
`;

const QUERY_IPTABLES = `Name: iptables
Link: /usr/sbin/iptables
Slaves:
 iptables-restore /usr/sbin/iptables-restore
 iptables-save /usr/sbin/iptables-save
Status: auto
Best: /usr/sbin/iptables-nft
Value: /usr/sbin/iptables-nft

Alternative: /usr/sbin/iptables-legacy
Priority: 10
Slaves:
 iptables-restore /usr/sbin/iptables-legacy-restore
 iptables-save /usr/sbin/iptables-legacy-save

Alternative: /usr/sbin/iptables-nft
Priority: 20
Slaves:
 iptables-restore /usr/sbin/iptables-nft-restore
 iptables-save /usr/sbin/iptables-nft-save
`;

describe('modules/alternatives', () => {
  runTable(alternatives, cases);
  it('fact: parses update-alternatives --query (value, status, every registered path; slaves are not paths)', () => {
    expect(alternativesFact('editor').parse(QUERY_EDITOR, 0)).to.deep.equal({
      value: VIM,
      status: 'manual',
      link: '/usr/bin/editor',
      paths: [NANO, VIM],
      priorities: { [NANO]: 40, [VIM]: 30 },
    });
    expect(alternativesFact('iptables').parse(QUERY_IPTABLES, 0)).to.deep.include({ value: '/usr/sbin/iptables-nft', status: 'auto' });
  });
  it('fact: an unknown group (no output, exit 2) parses as no group', () => {
    expect(alternativesFact('nope').parse('', 2)).to.deep.equal({ value: '', status: '', link: '', paths: [], priorities: {} });
  });
  it('fact: the probe queries the one group, in the C locale, name quoted', () => {
    expect(alternativesFact('editor').probe.text).to.match(/LC_ALL=C update-alternatives --query editor/);
    expect(alternativesFact('editor').key).to.equal('sys:alt:editor');
  });
  // Fixed (src/modules/alternatives.ts, src/facts/sys.ts): with no link: given, a path was
  // installed into an existing group with link /usr/bin/<name>, not the group's own link
  // (the `Link:` line of --query, which the fact does not read). For a group whose link is
  // elsewhere (iptables -> /usr/sbin/iptables) update-alternatives then moves the group's
  // master link to /usr/bin/iptables. Ansible reads the link from --query.
  it('a path added to an existing group uses the group link from --query, not /usr/bin/<name>', () => {
    const facts = fakeFacts({ 'sys:alt:iptables': alternativesFact('iptables').parse(QUERY_IPTABLES, 0) });
    const p = alternatives.plan({ name: 'iptables', path: '/usr/local/sbin/iptables-custom' }, facts, fakeContext());
    expect(p.changes.map((c) => c.script.text).join('\n')).to.match(/--install \/usr\/sbin\/iptables iptables /);
  });
  runSchemaTable(alternatives, [
    // Ansible docs examples (community.general.alternatives, Debian-relevant ones)
    { name: 'docs: correct java version selected', args: { name: 'java', path: '/usr/lib/jvm/java-7-openjdk-amd64/jre/bin/java' }, valid: true },
    { name: 'docs: alternatives link created', args: { name: 'hadoop-conf', link: '/etc/hadoop/conf', path: '/etc/hadoop/conf.ansible' }, valid: true },
    {
      name: 'docs: make java 32 bit an alternative with low priority',
      args: { name: 'java', path: '/usr/lib/jvm/java-7-openjdk-i386/jre/bin/java', priority: -10 },
      valid: true,
    },
    {
      name: 'docs: install Python 3.5 but do not select it',
      args: { name: 'python', path: '/usr/bin/python3.5', link: '/usr/bin/python', state: 'present' },
      valid: true,
    },
    { name: 'docs: select auto', args: { name: 'editor', path: '/usr/bin/vim.basic', state: 'auto' }, valid: true },
    { name: 'absent', args: { name: 'editor', path: VIM, state: 'absent' }, valid: true },
    { name: 'path required', args: { name: 'editor' }, valid: false, message: /path/ },
    { name: 'name required', args: { path: VIM }, valid: false, message: /name/ },
    { name: 'relative path refused', args: { name: 'editor', path: 'vim' }, valid: false },
    { name: 'relative link refused', args: { name: 'editor', path: VIM, link: 'bin/editor' }, valid: false },
    { name: 'no shell in a name', args: { name: 'ed;rm', path: VIM }, valid: false, message: /pattern/ },
    { name: 'priority is an integer', args: { name: 'editor', path: VIM, priority: 1.5 }, valid: false },
    { name: 'unknown state', args: { name: 'editor', path: VIM, state: 'latest' }, valid: false },
    { name: 'unknown key (subcommands not supported)', args: { name: 'editor', path: VIM, subcommands: [] }, valid: false, message: /subcommands/ },
  ]);
});
