import ini_file, { type IniFileArgs } from '../../../src/modules/ini_file.js';
import { runSchemaTable, runTable, type Case } from './table.js';
import { absent, textFile, withText } from './edit-fixtures.js';

const P = '/etc/php/8.2/fpm/php.ini';
const f = (t: string) => withText(P, textFile(t));

const cases: Case<IniFileArgs>[] = [
  {
    name: 'option changed in its section, exact diff',
    args: { path: P, section: 'PHP', option: 'memory_limit', value: '256M' },
    facts: f('[PHP]\nmemory_limit = 128M\n[Date]\n'),
    expect: {
      status: 'changed',
      stdin: '[PHP]\nmemory_limit = 256M\n[Date]\n',
      diff: [{ label: P, before: '[PHP]\nmemory_limit = 128M\n[Date]\n', after: '[PHP]\nmemory_limit = 256M\n[Date]\n' }],
    },
  },
  { name: 'same value (spaces differ): ok', args: { path: P, section: 'PHP', option: 'a', value: '1' }, facts: f('[PHP]\na=1\n'), expect: { status: 'ok' } },
  {
    name: 'option added at the end of its section, before blank lines',
    args: { path: P, section: 'a', option: 'k', value: 'v' },
    facts: f('[a]\nx = 1\n\n[b]\n'),
    expect: { status: 'changed', stdin: '[a]\nx = 1\nk = v\n\n[b]\n' },
  },
  {
    name: 'missing section appended with the option',
    args: { path: P, section: 'new', option: 'k', value: 'v' },
    facts: f('[a]\n'),
    expect: { status: 'changed', stdin: '[a]\n\n[new]\nk = v\n' },
  },
  {
    name: 'no section: the option goes before the first section',
    args: { path: P, option: 'k', value: 'v' },
    facts: f('# top\n[a]\nx = 1\n'),
    expect: { status: 'changed', stdin: '# top\nk = v\n[a]\nx = 1\n' },
  },
  {
    name: 'no section and no sections at all',
    args: { path: P, section: null, option: 'k', value: 'v' },
    facts: f(''),
    expect: { status: 'changed', stdin: 'k = v\n' },
  },
  {
    name: 'a commented-out option is replaced (modify_inactive_option)',
    args: { path: P, section: 'a', option: 'k', value: 'v' },
    facts: f('[a]\n;k = old\n'),
    expect: { status: 'changed', stdin: '[a]\nk = v\n' },
  },
  {
    name: 'no_extra_spaces',
    args: { path: P, section: 'a', option: 'k', value: 'v', no_extra_spaces: true },
    facts: f('[a]\n'),
    expect: { status: 'changed', stdin: '[a]\nk=v\n' },
  },
  {
    name: 'state absent removes the option',
    args: { path: P, section: 'a', option: 'k', state: 'absent' },
    facts: f('[a]\nk = 1\nj = 2\n'),
    expect: { status: 'changed', stdin: '[a]\nj = 2\n' },
  },
  {
    name: 'state absent without option removes the section',
    args: { path: P, section: 'a', state: 'absent' },
    facts: f('[a]\nk = 1\n[b]\nj = 2\n'),
    expect: { status: 'changed', stdin: '[b]\nj = 2\n' },
  },
  {
    name: 'values: several lines of one option, others removed (exclusive)',
    args: { path: P, section: 'a', option: 'k', values: ['1', '2'] },
    facts: f('[a]\nk = 1\nk = 3\n'),
    expect: { status: 'changed', stdin: '[a]\nk = 1\nk = 2\n' },
  },
  {
    name: 'a missing file is created (create defaults to true)',
    args: { path: P, section: 'a', option: 'k', value: 'v', mode: '0600' },
    facts: withText(P, absent),
    expect: { status: 'changed', stdin: '[a]\nk = v\n', scriptMatches: [/chmod 0600 "\$tmp"/] },
  },
  {
    name: 'create: false and missing: error',
    args: { path: P, section: 'a', option: 'k', value: 'v', create: false },
    facts: withText(P, absent),
    expect: { status: 'error', error: /does not exist/ },
  },
  {
    name: 'a numeric value is written as text',
    args: { path: P, section: 'a', option: 'k', value: 5 },
    facts: f('[a]\n'),
    expect: { status: 'changed', stdin: '[a]\nk = 5\n' },
  },
];

describe('modules/ini_file', () => {
  runTable(ini_file, cases);
  runSchemaTable(ini_file, [
    // geerlingguy.php, tasks/configure-fpm.yml
    {
      name: 'geerlingguy.php fpm pool task',
      args: { dest: '/etc/php/8.2/fpm/pool.d/www.conf', section: 'www', option: 'pm.max_children', value: '50', mode: '0644' },
      valid: true,
    },
    { name: 'value and values', args: { path: P, section: 'a', option: 'k', value: '1', values: ['2'] }, valid: false, message: /mutually exclusive/ },
    { name: 'unknown key', args: { path: P, section: 'a', opt: 'k' }, valid: false, message: /'opt'/ },
  ]);
});
