import replace, { type ReplaceArgs } from '../../../src/modules/replace.js';
import { runSchemaTable, runTable, type Case } from './table.js';
import { absent, textFile, withText } from './edit-fixtures.js';

const P = '/etc/app.conf';
const f = (t: string) => withText(P, textFile(t));

const cases: Case<ReplaceArgs>[] = [
  {
    name: 'every match replaced (multiline ^ and $), exact diff',
    args: { path: P, regexp: '^colour=(\\w+)$', replace: 'color=\\1' },
    facts: f('colour=red\nx\ncolour=blue\n'),
    expect: {
      status: 'changed',
      stdin: 'color=red\nx\ncolor=blue\n',
      diff: [{ label: P, before: 'colour=red\nx\ncolour=blue\n', after: 'color=red\nx\ncolor=blue\n' }],
    },
  },
  { name: 'no match: ok, not a failure', args: { path: P, regexp: '^nothing' }, facts: f('a\n'), expect: { status: 'ok' } },
  {
    name: 'after and before limit the section',
    args: { path: P, regexp: 'x', replace: 'y', after: '\\[b\\]', before: '\\[c\\]' },
    facts: f('[a]\nx\n[b]\nx\n[c]\nx\n'),
    expect: { status: 'changed', stdin: '[a]\nx\n[b]\ny\n[c]\nx\n' },
  },
  {
    name: 'named groups (?P<n>) and \\g<n>',
    args: { path: P, regexp: '(?P<k>port)=(?P<v>\\d+)', replace: '\\g<k> = \\g<v>' },
    facts: f('port=80\n'),
    expect: { status: 'changed', stdin: 'port = 80\n' },
  },
  {
    name: 'replace defaults to empty: the match is deleted',
    args: { path: P, regexp: ' # .*$' },
    facts: f('a # c\n'),
    expect: { status: 'changed', stdin: 'a\n' },
  },
  {
    name: 'a $ in the replacement is literal',
    args: { path: P, regexp: 'PRICE', replace: '$1' },
    facts: f('PRICE\n'),
    expect: { status: 'changed', stdin: '$1\n' },
  },
  { name: 'missing file is an error', args: { path: P, regexp: 'a' }, facts: withText(P, absent), expect: { status: 'error', error: /does not exist/ } },
];

describe('modules/replace', () => {
  runTable(replace, cases);
  runSchemaTable(replace, [
    {
      name: 'docs example with backup',
      args: { path: '/etc/hosts', regexp: '(\\s+)old\\.host\\.name(\\s+.*)?$', replace: '\\1new.host.name\\2', backup: true },
      valid: true,
    },
    { name: 'missing regexp', args: { path: P, replace: 'x' }, valid: false },
    { name: 'unknown key', args: { path: P, regexp: 'a', line: 'b' }, valid: false, message: /'line'/ },
  ]);
});
