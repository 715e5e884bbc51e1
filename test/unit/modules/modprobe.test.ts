import { expect } from 'chai';
import modprobe, { type ModprobeArgs } from '../../../src/modules/modprobe.js';
import { kmodFact, type KmodState } from '../../../src/facts/sys.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const km = (st: KmodState, name = 'br_netfilter') => ({ [`sys:kmod:${name}`]: st });
const loaded = km({ loaded: true, persist: '', options: '' });
const unloaded = km({ loaded: false, persist: '', options: '' });
const persisted = km({ loaded: true, persist: 'br_netfilter\n', options: '' });

const cases: Case<ModprobeArgs>[] = [
  { name: 'loaded already: ok, nothing run', args: { name: 'br_netfilter' }, facts: loaded, expect: { status: 'ok', changes: 0 } },
  {
    name: 'not loaded: modprobe, with a diff',
    args: { name: 'br_netfilter', state: 'present' },
    facts: unloaded,
    expect: {
      status: 'changed',
      changes: 1,
      scriptMatches: [/^set -e$/m, /^modprobe br_netfilter\s*$/m],
      scriptNotMatches: [/modules-load\.d/, /-r/],
      diff: [{ label: 'kernel module br_netfilter', before: 'loaded=false\n', after: 'loaded=true\n' }],
      invalidates: ['sys:kmod:br_netfilter'],
      description: /^load br_netfilter$/,
    },
  },
  {
    name: 'params: each a word on the modprobe line',
    args: { name: 'dummy', params: 'numdummies=2  foo=bar' },
    facts: km({ loaded: false, persist: '', options: '' }, 'dummy'),
    expect: { status: 'changed', scriptMatches: [/^modprobe dummy numdummies=2 foo=bar$/m] },
  },
  {
    name: 'params with shell metacharacters are quoted words',
    args: { name: 'dummy', params: 'x=$(id)' },
    facts: km({ loaded: false, persist: '', options: '' }, 'dummy'),
    expect: { status: 'changed', scriptMatches: [/^modprobe dummy 'x=\$\(id\)'$/m] },
  },
  {
    name: 'absent: loaded: modprobe -r',
    args: { name: 'br_netfilter', state: 'absent' },
    facts: loaded,
    expect: {
      status: 'changed',
      scriptMatches: [/^modprobe -r br_netfilter$/m],
      diff: [{ label: 'kernel module br_netfilter', before: 'loaded=true\n', after: 'loaded=false\n' }],
      description: /^unload br_netfilter$/,
    },
  },
  { name: 'absent: not loaded: ok', args: { name: 'br_netfilter', state: 'absent' }, facts: unloaded, expect: { status: 'ok' } },
  {
    name: 'persistent present, loaded, no file: writes modules-load.d only',
    args: { name: 'br_netfilter', persistent: 'present' },
    facts: loaded,
    expect: {
      status: 'changed',
      changes: 1,
      scriptMatches: [
        /^install -d \/etc\/modules-load\.d\ntmp=\$\(mktemp \/etc\/modules-load\.d\/\.plumb\.XXXXXX\)\nprintf '%s' 'br_netfilter\n' > "\$tmp"\nchmod 0644 "\$tmp"\nmv -f "\$tmp" \/etc\/modules-load\.d\/br_netfilter\.conf$/m,
      ],
      scriptNotMatches: [/^modprobe /m, /modprobe\.d/],
      diff: [{ label: 'kernel module br_netfilter', before: 'modules-load.d=\n', after: 'modules-load.d=br_netfilter\n' }],
      description: /^persist br_netfilter$/,
    },
  },
  { name: 'persistent present, file right: ok', args: { name: 'br_netfilter', persistent: 'present' }, facts: persisted, expect: { status: 'ok' } },
  {
    name: 'persistent present with params: options line in modprobe.d as well, loaded with them',
    args: { name: 'dummy', params: 'numdummies=2', persistent: 'present' },
    facts: km({ loaded: false, persist: '', options: '' }, 'dummy'),
    expect: {
      status: 'changed',
      scriptMatches: [
        /^modprobe dummy numdummies=2$/m,
        /mv -f "\$tmp" \/etc\/modules-load\.d\/dummy\.conf/,
        /printf '%s' 'options dummy numdummies=2\n' > "\$tmp"\nchmod 0644 "\$tmp"\nmv -f "\$tmp" \/etc\/modprobe\.d\/dummy\.conf/,
      ],
      diff: [{ label: 'kernel module dummy', before: 'loaded=false\nmodules-load.d=\n', after: 'loaded=true\nmodules-load.d=dummy\n' }],
      description: /^load dummy, persist dummy$/,
    },
  },
  {
    name: 'persistent present, options drifted: rewritten',
    args: { name: 'dummy', params: 'numdummies=2', persistent: 'present' },
    facts: km({ loaded: true, persist: 'dummy\n', options: 'options dummy numdummies=1\n' }, 'dummy'),
    expect: {
      status: 'changed',
      scriptMatches: [/'options dummy numdummies=2\n' > "\$tmp"\nchmod 0644 "\$tmp"\nmv -f "\$tmp" \/etc\/modprobe\.d\/dummy\.conf/],
      scriptNotMatches: [/^modprobe /m],
    },
  },
  {
    name: 'persistent present, params dropped from the task: the options file is removed',
    args: { name: 'dummy', persistent: 'present' },
    facts: km({ loaded: true, persist: 'dummy\n', options: 'options dummy numdummies=1\n' }, 'dummy'),
    expect: {
      status: 'changed',
      scriptMatches: [/^rm -f \/etc\/modprobe\.d\/dummy\.conf$/m],
      scriptNotMatches: [/^modprobe /m, /mv -f "\$tmp" \/etc\/modprobe\.d/],
    },
  },
  {
    name: 'params dropped, the options file holds other lines too: only its options lines are commented out',
    args: { name: 'dummy', persistent: 'present' },
    facts: km({ loaded: true, persist: 'dummy\n', options: 'softdep dummy pre: foo\noptions dummy numdummies=1\n' }, 'dummy'),
    expect: { status: 'changed', scriptMatches: [/^sed -i 's\/\^options dummy \/# &\/' \/etc\/modprobe\.d\/dummy\.conf$/m], scriptNotMatches: [/rm -f/] },
  },
  {
    name: 'params dropped, options already commented out: ok',
    args: { name: 'dummy', persistent: 'present' },
    facts: km({ loaded: true, persist: 'dummy\n', options: 'softdep dummy pre: foo\n# options dummy numdummies=1\n' }, 'dummy'),
    expect: { status: 'ok', changes: 0 },
  },
  {
    name: 'state absent, persistent present: not loaded now, both files written for the next boot (independent, as in Ansible)',
    args: { name: 'dummy', state: 'absent', params: 'numdummies=2', persistent: 'present' },
    facts: km({ loaded: false, persist: '', options: '' }, 'dummy'),
    expect: {
      status: 'changed',
      scriptMatches: [
        /mv -f "\$tmp" \/etc\/modules-load\.d\/dummy\.conf/,
        /'options dummy numdummies=2\n' > "\$tmp"\nchmod 0644 "\$tmp"\nmv -f "\$tmp" \/etc\/modprobe\.d\/dummy\.conf/,
      ],
      scriptNotMatches: [/^modprobe /m],
      description: /^persist dummy$/,
    },
  },
  {
    name: 'persistent present with params, all in place: ok',
    args: { name: 'dummy', params: 'numdummies=2', persistent: 'present' },
    facts: km({ loaded: true, persist: 'dummy\n', options: 'options dummy numdummies=2\n' }, 'dummy'),
    expect: { status: 'ok' },
  },
  {
    name: 'persistent absent: both files removed, running module left alone',
    args: { name: 'br_netfilter', persistent: 'absent' },
    facts: persisted,
    expect: {
      status: 'changed',
      scriptMatches: [/^rm -f \/etc\/modules-load\.d\/br_netfilter\.conf \/etc\/modprobe\.d\/br_netfilter\.conf$/m],
      scriptNotMatches: [/^modprobe /m],
      diff: [{ label: 'kernel module br_netfilter', before: 'modules-load.d=br_netfilter\n', after: 'modules-load.d=\n' }],
    },
  },
  { name: 'persistent absent, no files: ok', args: { name: 'br_netfilter', persistent: 'absent' }, facts: loaded, expect: { status: 'ok' } },
  {
    name: 'persistent disabled (the default): files there are not touched',
    args: { name: 'br_netfilter', persistent: 'disabled' },
    facts: persisted,
    expect: { status: 'ok' },
  },
  {
    name: 'unload and unpersist in one change',
    args: { name: 'br_netfilter', state: 'absent', persistent: 'absent' },
    facts: persisted,
    expect: {
      status: 'changed',
      changes: 1,
      scriptMatches: [/modprobe -r br_netfilter/, /rm -f/],
      description: /^unload br_netfilter, unpersist br_netfilter$/,
    },
  },
];

describe('modules/modprobe', () => {
  runTable(modprobe, cases);
  it('fact: parses loaded, the modules-load.d file and the modprobe.d file', () => {
    expect(kmodFact('dummy').parse('loaded\n@@p\ndummy\n@@o\noptions dummy numdummies=2\n', 0)).to.deep.equal({
      loaded: true,
      persist: 'dummy\n',
      options: 'options dummy numdummies=2\n',
    });
    expect(kmodFact('dummy').parse('@@p\n@@o\n', 0)).to.deep.equal({ loaded: false, persist: '', options: '' });
  });
  it('fact: /proc/modules spells dashes as underscores; the conf files keep the name', () => {
    const t = kmodFact('nf-conntrack').probe.text;
    expect(t).to.match(/grep -q '\^nf_conntrack ' \/proc\/modules/);
    expect(t).to.match(/\/etc\/modules-load\.d\/nf-conntrack\.conf/);
    expect(t).to.match(/\/etc\/modprobe\.d\/nf-conntrack\.conf/);
  });
  // Fixed (src/facts/sys.ts kmodFact): a module built into the kernel never shows in
  // /proc/modules, so `modprobe: name=<builtin>` reports changed on every run (modprobe
  // succeeds and nothing changes). Ansible's modprobe also reads
  // /lib/modules/$(uname -r)/modules.builtin.
  it('built-in modules count as loaded (modules.builtin is read)', () => {
    expect(kmodFact('ext4').probe.text).to.match(/modules\.builtin/);
  });
  it('a module under /sys/module counts as loaded (loaded, or built in with parameters), underscored', () => {
    expect(kmodFact('nf-conntrack').probe.text).to.match(/\[ -d \/sys\/module\/nf_conntrack \]/);
  });
  runSchemaTable(modprobe, [
    // Ansible docs examples (community.general.modprobe)
    { name: 'docs: add the 802.1q module', args: { name: '8021q', state: 'present' }, valid: true },
    { name: 'docs: add the dummy module', args: { name: 'dummy', state: 'present', params: 'numdummies=2' }, valid: true },
    {
      name: 'docs: load dummy and make sure it is loaded after reboots',
      args: { name: 'dummy', state: 'present', params: 'numdummies=2', persistent: 'present' },
      valid: true,
    },
    { name: 'absent', args: { name: 'dummy', state: 'absent', persistent: 'absent' }, valid: true },
    { name: 'name required', args: {}, valid: false, message: /name/ },
    { name: 'no shell in a name', args: { name: 'dummy;reboot' }, valid: false, message: /kernel module name/ },
    { name: 'no newline in params (one options line)', args: { name: 'dummy', params: 'a=1\ninstall dummy /bin/sh' }, valid: false },
    { name: 'unknown persistent', args: { name: 'dummy', persistent: 'yes' }, valid: false },
    { name: 'unknown key', args: { name: 'dummy', force: true }, valid: false, message: /force/ },
  ]);
});
