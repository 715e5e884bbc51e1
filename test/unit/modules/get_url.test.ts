import { expect } from 'chai';
import { join } from 'node:path';
import { InputError } from '../../../src/errors.js';
import type { StatInfo } from '../../../src/facts/stat.js';
import get_url, { curlConfig, parseDownload, type GetUrlArgs } from '../../../src/modules/get_url.js';
import { loadPlaybook } from '../../../src/playbook/load.js';
import { removeTree, tree, yaml } from '../../fixtures/tree.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const D = '/opt/app/app.tgz';
const U = 'http://10.0.0.1:8000/app.tgz';
const SHA256 = 'a'.repeat(64);
const key = (algo = 'sha1') => `file:${D}#stat:P${algo}`;
const file = (checksum: string, over: Partial<StatInfo> = {}): StatInfo => ({
  exists: true,
  path: D,
  type: 'regular file',
  rawMode: 0o100644,
  owner: 'root',
  group: 'root',
  size: 10,
  checksum,
  ...over,
});
const absent: StatInfo = { exists: false, path: D };

const cases: Case<GetUrlArgs>[] = [
  {
    name: 'absent -> download to a temp file in dest dir, then rename',
    args: { url: U, dest: D, mode: '0640' },
    facts: { [key()]: absent },
    expect: {
      status: 'changed',
      scriptMatches: [
        /mktemp \/opt\/app\/\.plumb\.XXXXXX/,
        /curl -sS -f -L -K - +--connect-timeout 10 --speed-limit 1 --speed-time 10 -o "\$tmp"/,
        /-- http:\/\/10\.0\.0\.1:8000\/app\.tgz/,
        /chmod 0640 "\$tmp"/,
        /mv -f "\$tmp" \/opt\/app\/app\.tgz/,
      ],
      scriptNotMatches: [/sha256sum/, /-k /],
      invalidates: [`file:${D}`],
    },
  },
  {
    name: 'exists, force: no (Ansible default), no checksum -> ok, not downloaded again',
    args: { url: U, dest: D },
    facts: { [key()]: file('x') },
    expect: { status: 'ok', result: { dest: D, checksum_dest: 'x', msg: 'file already exists' } },
  },
  {
    name: 'exists, force: yes, no checksum -> would change, says why',
    args: { url: U, dest: D, force: true },
    facts: { [key()]: file('x') },
    expect: { status: 'changed', scriptMatches: [/chown --reference=\/opt\/app\/app\.tgz "\$tmp"/, /chmod 0644/] },
  },
  {
    name: 'checksum matches -> ok even with force',
    args: { url: U, dest: D, checksum: `sha256:${SHA256.toUpperCase()}`, force: true },
    facts: { [key('sha256')]: file(SHA256) },
    expect: { status: 'ok' },
  },
  {
    name: 'checksum differs -> download, verified before the rename',
    args: { url: U, dest: D, checksum: `sha256:${SHA256}` },
    facts: { [key('sha256')]: file('b'.repeat(64)) },
    expect: { status: 'changed', scriptMatches: [/got=\$\(sha256sum < "\$tmp"/, new RegExp(`"\\$got" != ${SHA256}[\\s\\S]*mv -f`)] },
  },
  {
    name: 'md5 checksum uses md5sum',
    args: { url: U, dest: D, checksum: 'md5:0123abcd' },
    facts: { [key('md5')]: absent },
    expect: { status: 'changed', scriptMatches: [/md5sum < "\$tmp"/] },
  },
  {
    name: 'credentials and headers on stdin, never in the script',
    args: { url: U, dest: D, url_username: 'bob', url_password: 's"cr3t', headers: { Authorization: 'Bearer tok' } },
    facts: { [key()]: absent },
    expect: { status: 'changed', scriptNotMatches: [/cr3t/, /bob/, /Bearer/], stdin: 'user = "bob:s\\"cr3t"\nheader = "Authorization: Bearer tok"\n' },
  },
  {
    name: 'validate_certs: false -> -k; timeout; tmp_dest; backup',
    args: { url: U, dest: D, validate_certs: false, timeout: 30, tmp_dest: '/var/tmp', backup: true, force: true },
    facts: { [key()]: file('x') },
    expect: {
      status: 'changed',
      scriptMatches: [/ -k /, /--connect-timeout 30 --speed-limit 1 --speed-time 30/, /mktemp \/var\/tmp\/\.plumb/, /cp -p \/opt\/app\/app\.tgz/],
    },
  },
  {
    name: 'exists, attributes drifted only -> chmod without download',
    args: { url: U, dest: D, mode: '0600', owner: 'app' },
    facts: { [key()]: file('x') },
    expect: { status: 'changed', scriptMatches: [/chown -h app \/opt\/app\/app\.tgz/, /chmod 0600 \/opt\/app\/app\.tgz/], scriptNotMatches: [/curl/] },
  },
  {
    name: 'dest is a directory -> error',
    args: { url: U, dest: D },
    facts: { [key()]: file('', { type: 'directory' }) },
    expect: { status: 'error', error: /is a directory/ },
  },
  {
    name: 'empty dest file is still a file (no false directory error)',
    args: { url: U, dest: D },
    facts: { [key()]: file('x', { type: 'regular empty file', size: 0 }) },
    expect: { status: 'ok' },
  },
];

describe('modules/get_url', () => {
  runTable(get_url, cases);
  runSchemaTable(get_url, [
    { name: 'docs example', args: { url: 'http://example.com/path/file.conf', dest: '/etc/foo.conf', mode: '0440' }, valid: true },
    {
      // geerlingguy/ansible-role-solr tasks/main.yml "Download Solr." (expressions given values)
      name: 'task from geerlingguy.solr',
      args: {
        url: 'https://archive.apache.org/dist/lucene/solr/8.11.2/solr-8.11.2.tgz',
        dest: '/root/solr-8.11.2.tgz',
        force: false,
        checksum: 'sha1:0123456789abcdef0123456789abcdef01234567',
      },
      valid: true,
    },
    { name: 'url needs a scheme', args: { url: 'example.com/x', dest: D }, valid: false, message: /url must start with http/ },
    { name: 'relative dest', args: { url: U, dest: 'x' }, valid: false, message: /absolute path/ },
    { name: 'bad checksum algorithm', args: { url: U, dest: D, checksum: 'crc32:abc' }, valid: false, message: /checksum must be/ },
    { name: 'checksum from a URL', args: { url: U, dest: D, checksum: 'sha256:https://h/SHA256SUMS' }, valid: false, message: /not supported/ },
    { name: 'dest is required', args: { url: U }, valid: false, message: /dest/ },
  ]);
  it('check-mode summary says why it cannot know', () => {
    const p = get_url.plan({ url: U, dest: D, force: true }, { get: () => file('x') as never }, {} as never);
    expect(p.summary).to.match(/cannot know without downloading/);
  });
  it('parses the download line into Ansible names', () => {
    expect(parseDownload(`@@plumb-get_url@@ 200 10 abc ${U}\n`, U, D)).to.deep.equal({
      status_code: 200,
      size: 10,
      checksum_src: 'abc',
      checksum_dest: 'abc',
      url: U,
      dest: D,
      msg: 'OK (10 bytes)',
    });
  });
  it('http_agent and use_proxy: no go in the curl config', () => {
    expect(curlConfig({ url: U, dest: D, http_agent: 'plumb', use_proxy: false })).to.equal('user-agent = "plumb"\nnoproxy = "*"\n');
  });
  it('curl config escapes quotes and newlines', () => {
    expect(curlConfig({ url: U, dest: D, headers: { X: 'a\nb' } })).to.equal('header = "X: a\\nb"\n');
  });
  it('bad arguments in a playbook: file:line:col before anything connects', () => {
    const dir = tree({
      'playbooks/site.yml': yaml`
        - hosts: all
          tasks:
            - get_url: {url: "http://h/x", dest: /tmp/x, chksum: "sha256:aa"}
      `,
    });
    try {
      expect(() => loadPlaybook(join(dir, 'playbooks/site.yml'))).to.throw(InputError, /site\.yml:3:\d+: get_url: unknown key .chksum/);
    } finally {
      removeTree(dir);
    }
  });
});
