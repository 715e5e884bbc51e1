import { expect } from 'chai';
import debconf, { sameAnswer, type DebconfArgs } from '../../../src/modules/debconf.js';
import { debconfPasswordFact } from '../../../src/facts/sys.js';
import { createHash } from 'node:crypto';
import { runSchemaTable, runTable, type Case } from './table.js';

const tz = { 'sys:debconf:tzdata': { 'tzdata/Areas': 'Etc', 'tzdata/Zones/Etc': 'UTC' } };
const hash = (s: string) => createHash('sha256').update(s).digest('hex');

const cases: Case<DebconfArgs>[] = [
  {
    name: 'another answer: set through debconf-set-selections on stdin',
    args: { name: 'tzdata', question: 'tzdata/Areas', vtype: 'select', value: 'Europe' },
    facts: tz,
    expect: {
      status: 'changed',
      stdin: 'tzdata tzdata/Areas select Europe\n',
      scriptMatches: [/^set -e\ndebconf-set-selections$/],
      diff: [{ label: 'debconf tzdata', before: 'tzdata/Areas: Etc\n', after: 'tzdata/Areas: Europe\n' }],
      invalidates: ['sys:debconf:tzdata'],
    },
  },
  { name: 'same answer: ok', args: { name: 'tzdata', question: 'tzdata/Areas', vtype: 'select', value: 'Etc' }, facts: tz, expect: { status: 'ok' } },
  {
    name: 'unseen: -u',
    args: { name: 'tzdata', question: 'tzdata/Areas', vtype: 'select', value: 'Europe', unseen: true },
    facts: tz,
    expect: { status: 'changed', scriptMatches: [/debconf-set-selections -u/] },
  },
  {
    name: 'boolean true matches "true"',
    args: { name: 'dash', question: 'dash/sh', vtype: 'boolean', value: true },
    facts: { 'sys:debconf:dash': { 'dash/sh': 'true' } },
    expect: { status: 'ok' },
  },
  {
    name: 'a question not asked yet: changed, empty before',
    args: { pkg: 'dash', setting: 'dash/sh', vtype: 'boolean', answer: false },
    facts: { 'sys:debconf:dash': {} },
    expect: { status: 'changed', stdin: 'dash dash/sh boolean false\n', diff: [{ label: 'debconf dash', before: '', after: 'dash/sh: false\n' }] },
  },
  {
    name: 'multiselect list in another order: ok',
    args: { name: 'locales', question: 'locales/locales_to_be_generated', vtype: 'multiselect', value: ['fr_FR.UTF-8 UTF-8', 'en_US.UTF-8 UTF-8'] },
    facts: { 'sys:debconf:locales': { 'locales/locales_to_be_generated': 'en_US.UTF-8 UTF-8, fr_FR.UTF-8 UTF-8' } },
    expect: { status: 'ok' },
  },
  {
    name: 'password: compared by hash on the host; the value is only on stdin, never in the diff or result',
    args: { name: 'tripwire', question: 'tripwire/site-passphrase', vtype: 'password', value: 's3cret' },
    facts: { 'sys:debconf:tripwire': { 'tripwire/site-passphrase': '' }, [debconfPasswordFact('tripwire/site-passphrase').key]: hash('old') },
    expect: {
      status: 'changed',
      stdin: 'tripwire tripwire/site-passphrase password s3cret\n',
      scriptNotMatches: [/s3cret/],
      diff: [{ label: 'debconf tripwire', before: 'tripwire/site-passphrase: (password)\n', after: 'tripwire/site-passphrase: (password, changed)\n' }],
      result: { current: { 'tripwire/site-passphrase': '(password)' } },
    },
  },
  {
    name: 'password with the same hash: ok',
    args: { name: 'tripwire', question: 'tripwire/site-passphrase', vtype: 'password', value: 's3cret' },
    facts: { 'sys:debconf:tripwire': { 'tripwire/site-passphrase': '' }, [debconfPasswordFact('tripwire/site-passphrase').key]: hash('s3cret') },
    expect: { status: 'ok' },
  },
  { name: 'no question: reads the answers, ok', args: { name: 'tzdata' }, facts: tz, expect: { status: 'ok', result: { current: tz['sys:debconf:tzdata'] } } },
];

describe('modules/debconf', () => {
  runTable(debconf, cases);
  runSchemaTable(debconf, [
    // Ansible's documented "Set default locale to fr_FR.UTF-8"
    {
      name: "Ansible's locales example",
      args: { name: 'locales', question: 'locales/default_environment_locale', value: 'fr_FR.UTF-8', vtype: 'select' },
      valid: true,
    },
    { name: 'question without vtype', args: { name: 'tzdata', question: 'tzdata/Areas', value: 'Etc' }, valid: false, message: /go together/ },
    { name: 'unknown vtype', args: { name: 'tzdata', question: 'q', vtype: 'secret', value: 'x' }, valid: false },
  ]);
  it('multiselect compared as a set, booleans case-insensitively', () => {
    expect(sameAnswer('multiselect', ['b', 'a'], 'a, b')).to.equal(true);
    expect(sameAnswer('boolean', 'True', 'true')).to.equal(true);
    expect(sameAnswer('string', 'a', 'b')).to.equal(false);
  });
  it('the password probe hashes on the host: no value in its output', () => {
    const f = debconfPasswordFact('tripwire/site-passphrase');
    expect(f.probe.text).to.match(/sha256sum/);
    expect(f.parse(`${hash('x')}\n`, 0)).to.equal(hash('x'));
  });
});
