import { expect } from 'chai';
import apt_key, { dearmor, fingerprint, type AptKeyArgs } from '../../../src/modules/apt_key.js';
import { createHash } from 'node:crypto';
import { runSchemaTable, runTable, type Case } from './table.js';
import { absent, TEST_KEY, textFile } from './edit-fixtures.js';

const TEST_FPR = '3AFB0EF3B2D8BB43137195715E66F4359CE09DD4';
/** sha256 of `gpg --export` of the same key: the binary keyring apt reads. */
const BINARY_SHA = '5225f084327d29f6ee1ef4551a02f0a7c2f23fe37cc67075a81b25874f30466f';
const K = '/etc/apt/keyrings/plumb-test.gpg';
const binFile = (over = {}) => ({ kind: 'file', mode: '0644', owner: 'root', group: 'root', size: 1, sha256: BINARY_SHA, ...over });

const cases: Case<AptKeyArgs>[] = [
  {
    name: 'armored data to a .gpg keyring: de-armored, written 0644, diff by hash and fingerprint',
    args: { data: TEST_KEY, keyring: K },
    facts: { [`file:${K}`]: absent },
    expect: {
      status: 'changed',
      scriptMatches: [/chmod 0644/],
      diff: [{ label: K, before: '', after: `sha256 ${BINARY_SHA} (key ${TEST_FPR})\n` }],
      result: { fingerprint: TEST_FPR },
    },
  },
  {
    name: 'the keyring holds that key: ok',
    args: { data: TEST_KEY, keyring: K, id: '5E66F4359CE09DD4' },
    facts: { [`file:${K}`]: binFile() },
    expect: { status: 'ok' },
  },
  {
    name: 'id that is not the key: error',
    args: { data: TEST_KEY, keyring: K, id: 'DEADBEEFDEADBEEF' },
    facts: { [`file:${K}`]: absent },
    expect: { status: 'error', error: /is 3AFB0EF3/ },
  },
  {
    name: 'only id: /etc/apt/trusted.gpg.d/ID.gpg (trusted for every source, as apt-key add)',
    args: { data: TEST_KEY, id: '0x9CE09DD4' },
    facts: { 'file:/etc/apt/trusted.gpg.d/9CE09DD4.gpg': absent },
    expect: { status: 'changed', result: { keyring: '/etc/apt/trusted.gpg.d/9CE09DD4.gpg' } },
  },
  {
    name: 'file: on the host, read in the batch',
    args: { file: '/root/key.asc', keyring: K },
    facts: { [`file:${K}`]: absent, 'file:/root/key.asc#content': textFile(TEST_KEY) },
    expect: { status: 'changed' },
  },
  {
    name: '.asc keyring: written armored as given',
    args: { data: TEST_KEY, keyring: '/etc/apt/keyrings/t.asc' },
    facts: { 'file:/etc/apt/keyrings/t.asc': absent },
    expect: { status: 'changed', stdin: TEST_KEY },
  },
  {
    name: 'url: refused, pointing at get_url',
    args: { url: 'https://example.org/k.asc', keyring: K },
    facts: { [`file:${K}`]: absent },
    expect: { status: 'error', error: /does not download keys/ },
  },
  {
    name: 'absent: the keyring file removed',
    args: { keyring: K, state: 'absent' },
    facts: { [`file:${K}`]: binFile() },
    expect: { status: 'changed', scriptMatches: [/rm -f -- \/etc\/apt\/keyrings\/plumb-test\.gpg/] },
  },
  { name: 'absent and absent: ok', args: { keyring: K, state: 'absent' }, facts: { [`file:${K}`]: absent }, expect: { status: 'ok' } },
];

describe('modules/apt_key', () => {
  runTable(apt_key, cases);
  runSchemaTable(apt_key, [
    // a signed-by keyring as Debian recommends, with Ansible's argument names
    { name: 'data + keyring', args: { data: TEST_KEY, keyring: K, state: 'present' }, valid: true },
    { name: 'neither keyring nor id', args: { data: TEST_KEY }, valid: false, message: /give keyring/ },
    { name: 'data and url together', args: { data: 'x', url: 'https://x', keyring: K }, valid: false, message: /mutually exclusive/ },
    { name: 'keyring without .gpg/.asc', args: { data: 'x', keyring: '/etc/apt/keyrings/x' }, valid: false, message: /must end in \.gpg/ },
  ]);
  it('de-armors to the bytes gpg --export gives, and computes the v4 fingerprint', () => {
    const bin = dearmor(TEST_KEY)!;
    expect(createHash('sha256').update(bin).digest('hex')).to.equal(BINARY_SHA);
    expect(fingerprint(bin)).to.equal(TEST_FPR);
    expect(dearmor('not a key')).to.equal(null);
  });
});
