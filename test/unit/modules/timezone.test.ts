import timezone, { type TimezoneArgs } from '../../../src/modules/timezone.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const K = 'sys:timezone:Europe/Paris';
const cases: Case<TimezoneArgs>[] = [
  {
    name: 'set -> ok',
    args: { name: 'Europe/Paris' },
    facts: { [K]: { link: 'Europe/Paris', file: 'Europe/Paris', known: { 'Europe/Paris': true } } },
    expect: { status: 'ok' },
  },
  {
    name: 'UTC -> link and /etc/timezone',
    args: { name: 'Europe/Paris' },
    facts: { [K]: { link: 'Etc/UTC', file: 'Etc/UTC', known: { 'Europe/Paris': true } } },
    expect: {
      status: 'changed',
      scriptMatches: [/ln -sfn \/usr\/share\/zoneinfo\/Europe\/Paris \/etc\/localtime/, /> \/etc\/timezone/],
      diff: [{ label: 'timezone', before: 'Etc/UTC\n', after: 'Europe/Paris\n' }],
    },
  },
  {
    name: 'unknown zone -> error with a hint',
    args: { name: 'Europe/Paris' },
    facts: { [K]: { link: 'Etc/UTC', file: '', known: { 'Europe/Paris': false } } },
    expect: { status: 'error', error: /unknown timezone/ },
  },
];
describe('modules/timezone', () => {
  runTable(timezone, cases);
  runSchemaTable(timezone, [{ name: 'no quotes in a zone', args: { name: "a'b" }, valid: false }]);
});
