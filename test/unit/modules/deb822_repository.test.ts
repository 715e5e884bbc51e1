import { expect } from 'chai';
import deb822, { renderDeb822, slugOf, type Deb822Args } from '../../../src/modules/deb822_repository.js';
import { runSchemaTable, runTable, type Case } from './table.js';
import { absent, textFile, withText } from './edit-fixtures.js';

const F = '/etc/apt/sources.list.d/plumb-local.sources';
const args: Deb822Args = { name: 'plumb local', uris: 'file:/srv/plumb-repo', suites: './', trusted: true };
const text = 'X-Repolib-Name: plumb local\nSuites: ./\nTrusted: yes\nTypes: deb\nURIs: file:/srv/plumb-repo\n';
const KEY = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEYCQjIxYJKwYBBAHaRw8BAQdAD\n=IE0r\n-----END PGP PUBLIC KEY BLOCK-----';

const cases: Case<Deb822Args>[] = [
  {
    name: 'absent file: written, fields as Ansible orders them',
    args,
    facts: withText(F, absent),
    expect: { status: 'changed', changes: 1, stdin: text, diff: [{ label: F, before: '', after: text }] },
  },
  { name: 'same text: ok', args, facts: withText(F, textFile(text)), expect: { status: 'ok', result: { dest: F } } },
  {
    name: 'mode is enforced (default 0644, as Ansible sets it every run)',
    args,
    facts: withText(F, textFile(text, { mode: '0600' })),
    expect: { status: 'changed', scriptMatches: [/chmod 0644/] },
  },
  {
    name: "update_cache (plumb's): apt-get update after the write",
    args: { ...args, update_cache: true },
    facts: withText(F, absent),
    expect: { status: 'changed', changes: 2, scriptMatches: [/apt-get update/] },
  },
  {
    name: 'absent: file and Ansible-written keyrings removed',
    args: { name: 'plumb local', state: 'absent' },
    facts: { ...withText(F, textFile(text)), 'file:/etc/apt/keyrings/plumb-local.asc#exists': true, 'file:/etc/apt/keyrings/plumb-local.gpg#exists': false },
    expect: {
      status: 'changed',
      changes: 2,
      scriptMatches: [/rm -f -- \/etc\/apt\/sources\.list\.d\/plumb-local\.sources/, /rm -f -- \/etc\/apt\/keyrings\/plumb-local\.asc/],
    },
  },
  {
    name: 'absent and nothing there: ok',
    args: { name: 'plumb local', state: 'absent' },
    facts: { ...withText(F, absent), 'file:/etc/apt/keyrings/plumb-local.asc#exists': false, 'file:/etc/apt/keyrings/plumb-local.gpg#exists': false },
    expect: { status: 'ok' },
  },
  {
    name: 'signed_by URL: refused, pointing at get_url',
    args: { ...args, signed_by: 'https://example.org/key.gpg' },
    facts: withText(F, absent),
    expect: { status: 'error', error: /plumb does not download keys/ },
  },
  {
    name: 'present without uris: error',
    args: { name: 'x', suites: 'a' },
    facts: withText('/etc/apt/sources.list.d/x.sources', absent),
    expect: { status: 'error', error: /needs uris and suites/ },
  },
];

describe('modules/deb822_repository', () => {
  runTable(deb822, cases);
  runSchemaTable(deb822, [
    // Ansible's documented example (and roles copying it)
    {
      name: "Ansible's example",
      args: { name: 'debian', types: 'deb', uris: 'http://deb.debian.org/debian', suites: 'stretch', components: ['main', 'contrib', 'non-free'] },
      valid: true,
    },
    { name: 'types outside deb/deb-src', args: { name: 'x', types: ['rpm'] }, valid: false, message: /deb and\/or deb-src/ },
    { name: 'name required', args: { uris: 'x' }, valid: false },
  ]);
  it("slug as Ansible's", () => expect(slugOf('My_Repo  Name!')).to.equal('my-repo-name'));
  it('lists, comma strings, booleans and an armored key block', () => {
    const t = renderDeb822({ name: 'd', uris: ['http://a', 'http://b'], suites: 'x,y', components: 'main', enabled: false, signed_by: KEY });
    expect(t).to.equal(
      'Components: main\nEnabled: no\nX-Repolib-Name: d\nSigned-By:\n    -----BEGIN PGP PUBLIC KEY BLOCK-----\n    .\n    mDMEYCQjIxYJKwYBBAHaRw8BAQdAD\n    =IE0r\n    -----END PGP PUBLIC KEY BLOCK-----\nSuites: x y\nTypes: deb\nURIs: http://a http://b\n',
    );
  });
});
