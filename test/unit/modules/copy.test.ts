import { createHash } from 'node:crypto';
import { expect } from 'chai';
import copy, { type CopyArgs } from '../../../src/modules/copy.js';
import template, { type TemplateArgs } from '../../../src/modules/template.js';
import type { FileState } from '../../../src/facts/file.js';
import { runSchemaTable, runTable, type Case } from './table.js';
import { fakeContext, fakeFacts } from '../helpers.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const file = (content: string, over: Partial<Extract<FileState, { kind: 'file' }>> = {}): FileState => ({
  kind: 'file',
  mode: '0644',
  owner: 'root',
  group: 'root',
  size: content.length,
  sha256: sha(content),
  ...over,
});
const D = '/etc/app.conf';

const copyCases: Case<CopyArgs>[] = [
  {
    name: 'absent -> changed: atomic write with content on stdin',
    args: { dest: D, content: 'a=1\n', mode: '0640', owner: 'root', group: 'adm' },
    facts: { [`file:${D}`]: { kind: 'absent' } },
    expect: {
      status: 'changed',
      scriptMatches: [
        /mktemp \/etc\/\.plumb\.XXXXXX/,
        /cat > "\$tmp"/,
        /chown root:adm "\$tmp"/,
        /chmod 0640 "\$tmp"/,
        /sync "\$tmp"/,
        /mv -f "\$tmp" \/etc\/app\.conf/,
      ],
      scriptNotMatches: [/a=1/],
      stdin: 'a=1\n',
      diff: [{ label: D, before: '', after: 'a=1\n' }],
      invalidates: [`file:${D}`],
    },
  },
  {
    name: 'present with same content and attrs -> ok',
    args: { dest: D, content: 'a=1\n', mode: '0644' },
    facts: { [`file:${D}`]: file('a=1\n') },
    expect: { status: 'ok' },
  },
  {
    name: 'mode "644" equals the live 0644 (no false change)',
    args: { dest: D, content: 'a=1\n', mode: '644' },
    facts: { [`file:${D}`]: file('a=1\n') },
    expect: { status: 'ok' },
  },
  {
    name: 'drifted content -> changed with a content diff (--diff fetches content)',
    args: { dest: D, content: 'a=1\n' },
    facts: { [`file:${D}#content`]: file('a=2\n', { content: Buffer.from('a=2\n') }) },
    ctx: { diff: true },
    expect: {
      status: 'changed',
      diff: [{ label: D, before: 'a=2\n', after: 'a=1\n' }],
      scriptMatches: [/chown --reference=\/etc\/app\.conf "\$tmp"/, /chmod 0644/],
      scriptNotMatches: [/chown root/],
    },
  },
  {
    name: 'drifted content without --diff says the content was not fetched',
    args: { dest: D, content: 'a=1\n' },
    facts: { [`file:${D}`]: file('a=2\n') },
    expect: { status: 'changed', diff: [{ label: D, before: `<content not fetched (run with --diff), sha256 ${sha('a=2\n')}>\n`, after: 'a=1\n' }] },
  },
  {
    name: 'drifted mode only -> chmod, no rewrite',
    args: { dest: D, content: 'a=1\n', mode: '0600' },
    facts: { [`file:${D}`]: file('a=1\n') },
    expect: {
      status: 'changed',
      scriptMatches: [/chmod 0600 \/etc\/app\.conf/],
      scriptNotMatches: [/mktemp/],
      diff: [{ label: `${D} (attributes)`, before: 'owner=root group=root mode=0644\n', after: 'owner=root group=root mode=0600\n' }],
    },
  },
  {
    name: 'drifted owner only -> chown',
    args: { dest: D, content: 'a=1\n', owner: 'www-data' },
    facts: { [`file:${D}`]: file('a=1\n') },
    expect: { status: 'changed', scriptMatches: [/chown -h www-data \/etc\/app\.conf/] },
  },
  {
    name: 'new file without owner/group: no chown (the writer owns it)',
    args: { dest: D, content: 'x' },
    facts: { [`file:${D}`]: { kind: 'absent' } },
    expect: { status: 'changed', scriptNotMatches: [/chown/] },
  },
  {
    name: 'validate runs on the temp file before the rename',
    args: { dest: '/etc/sudoers.d/app', content: 'x\n', validate: 'visudo -cf %s' },
    facts: { 'file:/etc/sudoers.d/app': { kind: 'absent' } },
    expect: { status: 'changed', scriptMatches: [/visudo -cf "\$tmp"[\s\S]*mv -f/, /validate refused the new \/etc\/sudoers.d\/\S+: visudo -cf %s/] },
  },
  {
    name: 'backup copies the old file when it exists',
    args: { dest: D, content: 'new\n', backup: true },
    facts: { [`file:${D}`]: file('old\n') },
    expect: { status: 'changed', scriptMatches: [/cp -p \/etc\/app\.conf \/etc\/app\.conf\.\$\(date/] },
  },
  {
    name: 'src reads a controller file',
    args: { dest: D, src: 'app.conf' },
    facts: { [`file:${D}`]: { kind: 'absent' } },
    ctx: { files: { 'app.conf': 'from file\n' } },
    expect: { status: 'changed', stdin: 'from file\n' },
  },
  {
    name: 'dest is a directory -> error',
    args: { dest: D, content: 'x' },
    facts: { [`file:${D}`]: { kind: 'directory', mode: '0755', owner: 'root', group: 'root' } },
    expect: { status: 'error', error: /is a directory/ },
  },
  {
    name: 'a unit file also invalidates svc facts',
    args: { dest: '/etc/systemd/system/app.service', content: '[Unit]\n' },
    facts: { 'file:/etc/systemd/system/app.service': { kind: 'absent' } },
    expect: { status: 'changed', invalidates: ['file:/etc/systemd/system/app.service', 'svc:*'] },
  },
  {
    name: 'binary content is not diffed as text',
    args: { dest: D, content: 'a\u0000b' },
    facts: { [`file:${D}`]: { kind: 'absent' } },
    expect: { status: 'changed', diff: [{ label: D, before: '', after: `<binary or large file, sha256 ${sha('a\u0000b')}>\n` }] },
  },
];

describe('modules/copy', () => {
  runTable(copy, copyCases);
  runSchemaTable(copy, [
    { name: 'content + dest', args: { dest: D, content: '' }, valid: true },
    { name: 'unquoted mode 644 (a number)', args: { dest: D, content: 'x', mode: 644 }, valid: false, message: /quoted octal/ },
    { name: 'unquoted 0644 parsed by YAML 1.1 as 420', args: { dest: D, content: 'x', mode: 420 }, valid: false, message: /quoted octal/ },
    { name: 'mode "999"', args: { dest: D, content: 'x', mode: '999' }, valid: false, message: /quoted octal/ },
    { name: 'unknown key', args: { dest: D, content: 'x', force: true }, valid: false, message: /must NOT have additional properties 'force'/ },
    { name: 'both content and src', args: { dest: D, content: 'x', src: 'y' }, valid: false, message: /exactly one of content or src/ },
    { name: 'neither content nor src', args: { dest: D }, valid: false },
    { name: 'relative dest', args: { dest: 'etc/x', content: 'x' }, valid: false, message: /absolute path/ },
    { name: 'dest with ..', args: { dest: '/etc/../root/x', content: 'x' }, valid: false, message: /must not contain \. or \.\. segments/ },
    { name: 'dest with a newline says so', args: { dest: '/etc/x\ny', content: 'x' }, valid: false, message: /must not contain a newline/ },
    { name: 'dest with a carriage return', args: { dest: '/etc/x\r', content: 'x' }, valid: false, message: /must not contain a newline, carriage return/ },
    { name: 'dest with a space is fine', args: { dest: '/etc/my app.conf', content: 'x' }, valid: true },
    { name: 'validate without %s', args: { dest: D, content: 'x', validate: 'nginx -t' }, valid: false, message: /%s/ },
  ]);
});

const templateCases: Case<TemplateArgs>[] = [
  {
    name: 'absent -> changed with the rendered text',
    args: { src: 'app.conf.ejs', dest: D },
    facts: { [`file:${D}`]: { kind: 'absent' } },
    ctx: { files: { 'app.conf.ejs': 'port=8080\n' } },
    expect: { status: 'changed', stdin: 'port=8080\n', diff: [{ label: D, before: '', after: 'port=8080\n' }] },
  },
  {
    name: 'rendered text equals the live file -> ok',
    args: { src: 'app.conf.ejs', dest: D },
    facts: { [`file:${D}`]: file('port=8080\n') },
    ctx: { files: { 'app.conf.ejs': 'port=8080\n' } },
    expect: { status: 'ok' },
  },
  {
    name: 'drifted -> changed with the diff',
    args: { src: 'app.conf.ejs', dest: D, validate: 'check %s' },
    facts: { [`file:${D}#content`]: file('port=9090\n', { content: Buffer.from('port=9090\n') }) },
    ctx: { diff: true, files: { 'app.conf.ejs': 'port=8080\n' } },
    expect: { status: 'changed', diff: [{ label: D, before: 'port=9090\n', after: 'port=8080\n' }], scriptMatches: [/check "\$tmp"/] },
  },
];

describe('modules/template', () => {
  runTable(template, templateCases);
  runSchemaTable(template, [
    { name: 'src + dest', args: { src: 'a.ejs', dest: D, mode: '0644' }, valid: true },
    { name: 'missing src', args: { dest: D }, valid: false },
    { name: 'unquoted mode', args: { src: 'a.ejs', dest: D, mode: 644 }, valid: false, message: /quoted octal/ },
    { name: 'content is copy, not template', args: { src: 'a.ejs', dest: D, content: 'x' }, valid: false, message: /'content'/ },
  ]);
  it('a render error (undefined variable) propagates', () => {
    const ctx = fakeContext({
      renderTemplate: () => {
        throw new Error("undefined variable 'port'");
      },
    });
    expect(() => template.plan({ src: 'a.ejs', dest: D }, fakeFacts({ [`file:${D}`]: { kind: 'absent' } }), ctx)).to.throw(/undefined variable 'port'/);
  });
});
