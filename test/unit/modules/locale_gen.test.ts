import { expect } from 'chai';
import localeGen, { type LocaleGenArgs } from '../../../src/modules/locale_gen.js';
import { localeFact, normLocale, type LocaleState } from '../../../src/facts/sys.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const loc = (st: LocaleState) => ({ 'sys:locales': st });
// As parsed: `locale -a` spells en_US.utf8, the fact normalises both sides.
const withUS = loc({ tool: true, available: ['C', 'C.utf8', 'POSIX', 'en_US.utf8'], enabled: ['en_US.utf8'] });
const bare = loc({ tool: true, available: ['C', 'C.utf8', 'POSIX'], enabled: [] });

const cases: Case<LocaleGenArgs>[] = [
  { name: 'generated and enabled: ok, nothing run', args: { name: 'en_US.UTF-8' }, facts: withUS, expect: { status: 'ok', changes: 0 } },
  { name: 'utf8 spellings are one locale: ok', args: { name: 'en_US.utf8' }, facts: withUS, expect: { status: 'ok' } },
  { name: 'a list, all there: ok', args: { name: ['en_US.UTF-8'], state: 'present' }, facts: withUS, expect: { status: 'ok' } },
  {
    name: 'missing: enabled in /etc/locale.gen (appended when not there, else uncommented), then locale-gen',
    args: { name: 'de_DE.UTF-8' },
    facts: withUS,
    expect: {
      status: 'changed',
      changes: 1,
      scriptMatches: [
        /^set -e$/m,
        /grep -q '\^de_DE\\\.UTF-8 ' \/etc\/locale\.gen \|\| printf '%s %s\n' de_DE\.UTF-8 UTF-8 >> \/etc\/locale\.gen/,
        /sed -i 's\/\^#\[\[:space:\]\]\*\\\(de_DE\\\.UTF-8\[\[:space:\]\]\\\)\/\\1\/' \/etc\/locale\.gen/,
        /^locale-gen$/m,
      ],
      diff: [{ label: 'locales', before: 'de_DE.UTF-8: absent\n', after: 'de_DE.UTF-8: present\n' }],
      invalidates: ['sys:locales', 'file:/etc/locale.gen'],
      description: /generate locales de_DE\.UTF-8/,
    },
  },
  {
    name: 'enabled in locale.gen but not compiled: still changed (locale-gen runs)',
    args: { name: 'en_US.UTF-8' },
    facts: loc({ tool: true, available: ['C'], enabled: ['en_US.utf8'] }),
    expect: { status: 'changed', scriptMatches: [/^locale-gen$/m] },
  },
  {
    name: 'a list: only the missing ones are edited, one locale-gen',
    args: { name: ['en_US.UTF-8', 'fr_FR.UTF-8', 'de_DE.ISO-8859-1'] },
    facts: withUS,
    expect: {
      status: 'changed',
      scriptMatches: [/fr_FR\.UTF-8 UTF-8 >>/, /de_DE\.ISO-8859-1 ISO-8859-1 >>/],
      scriptNotMatches: [/en_US/, /locale-gen[\s\S]*locale-gen/],
      diff: [{ label: 'locales', before: 'fr_FR.UTF-8: absent\nde_DE.ISO-8859-1: absent\n', after: 'fr_FR.UTF-8: present\nde_DE.ISO-8859-1: present\n' }],
    },
  },
  {
    name: 'no charset in the name: ISO-8859-1 as in /usr/share/i18n/SUPPORTED',
    args: { name: 'de_DE' },
    facts: bare,
    expect: { status: 'changed', scriptMatches: [/printf '%s %s\n' de_DE ISO-8859-1 >>/] },
  },
  {
    name: 'a modifier: kept in the appended line, charset from before the @',
    args: { name: 'de_DE.UTF-8@euro' },
    facts: bare,
    expect: { status: 'changed', scriptMatches: [/de_DE\.UTF-8@euro UTF-8 >>/] },
  },
  {
    name: 'absent: present one is commented out and locale-gen rebuilds',
    args: { name: 'en_US.UTF-8', state: 'absent' },
    facts: withUS,
    expect: {
      status: 'changed',
      scriptMatches: [/sed -i 's\/\^\\\(en_US\\\.UTF-8\[\[:space:\]\]\\\)\/# \\1\/' \/etc\/locale\.gen/, /^locale-gen$/m],
      scriptNotMatches: [/>>/],
      diff: [{ label: 'locales', before: 'en_US.UTF-8: present\n', after: 'en_US.UTF-8: absent\n' }],
      description: /remove locales en_US\.UTF-8/,
    },
  },
  { name: 'absent: not there: ok', args: { name: 'fr_FR.UTF-8', state: 'absent' }, facts: withUS, expect: { status: 'ok' } },
  {
    name: 'locales package missing: error says to install it',
    args: { name: 'en_US.UTF-8' },
    facts: loc({ tool: false, available: ['C', 'POSIX'], enabled: [] }),
    expect: { status: 'error', error: /locale-gen is not installed/ },
  },
  {
    name: 'locales package missing but all wanted is there: ok, no error',
    args: { name: 'C.UTF-8' },
    facts: loc({ tool: false, available: ['C', 'C.utf8'], enabled: ['C.utf8'] }),
    expect: { status: 'ok' },
  },
  {
    name: 'check mode, an earlier unapplied change may install locales: plans instead of failing',
    args: { name: 'en_US.UTF-8' },
    facts: loc({ tool: false, available: ['C'], enabled: [] }),
    ctx: { mayChange: (f) => f.key === 'sys:locales' },
    expect: { status: 'changed', scriptMatches: [/^locale-gen$/m] },
  },
];

// The probe's output on a Debian 12 host with the locales package and en_US enabled.
const PROBE = 'tool=1\na=C\na=C.utf8\na=en_US.utf8\na=POSIX\ne=en_US.UTF-8\n';

describe('modules/locale_gen', () => {
  runTable(localeGen, cases);
  it('fact: parses tool, locale -a and the enabled lines of locale.gen, normalised', () => {
    expect(localeFact.parse(PROBE, 0)).to.deep.equal({ tool: true, available: ['C', 'C.utf8', 'en_US.utf8', 'POSIX'], enabled: ['en_US.utf8'] });
    expect(localeFact.parse('a=C\na=POSIX\n', 0)).to.deep.equal({ tool: false, available: ['C', 'POSIX'], enabled: [] });
  });
  it('fact: the probe keeps only uncommented locale.gen lines, first word', () => {
    expect(localeFact.probe.text).to.match(/sed -n 's\/\^\[\[:space:\]\]\*\\\(\[\^#\[:space:\]\]/);
    expect(localeFact.probe.text).to.match(/locale -a/);
  });
  it('normLocale: UTF-8, utf8 and UTF8 compare equal; other charsets and modifiers kept', () => {
    expect(normLocale('en_US.UTF-8')).to.equal('en_US.utf8');
    expect(normLocale('en_US.UTF8')).to.equal('en_US.utf8');
    expect(normLocale('en_US.utf8')).to.equal('en_US.utf8');
    expect(normLocale('de_DE.UTF-8@euro')).to.equal('de_DE.utf8@euro');
    expect(normLocale('de_DE.ISO-8859-1')).to.equal('de_DE.ISO-8859-1');
  });
  // Fixed (src/modules/locale_gen.ts): the grep that decides whether to append looked only for
  // an uncommented line, and runs before the sed that uncomments. Debian's stock
  // /etc/locale.gen has every locale commented ("# de_DE.UTF-8 UTF-8"), so the grep fails,
  // a second "de_DE.UTF-8 UTF-8" line is appended, then the sed uncomments the stock one:
  // the locale ends up listed twice. Uncommenting first (or grepping for an optional "# ")
  // would avoid it.
  it('enabling a commented-out locale does not append a duplicate line', () => {
    const p = localeGen.plan(
      { name: 'de_DE.UTF-8' },
      { get: () => ({ tool: true, available: [], enabled: [] }) } as never,
      { mayChange: () => false } as never,
    );
    const s = p.changes[0]!.script.text;
    expect(s.indexOf('sed -i'), 'uncomment before deciding to append').to.be.lessThan(s.indexOf('grep -q'));
  });
  runSchemaTable(localeGen, [
    // Ansible docs example (community.general.locale_gen)
    { name: 'docs: ensure a locale exists', args: { name: 'de_CH.UTF-8', state: 'present' }, valid: true },
    { name: 'docs: ensure multiple locales exist', args: { name: ['en_GB.UTF-8', 'nl_NL.UTF-8'], state: 'present' }, valid: true },
    { name: 'a modifier', args: { name: 'ca_ES.UTF-8@valencia' }, valid: true },
    { name: 'absent', args: { name: 'en_US.UTF-8', state: 'absent' }, valid: true },
    { name: 'name required', args: {}, valid: false, message: /name/ },
    { name: 'no shell in a name', args: { name: 'en_US.UTF-8; rm -rf /' }, valid: false, message: /locale such as en_US\.UTF-8/ },
    { name: 'no empty list', args: { name: [] }, valid: false },
    { name: 'no space (a locale.gen line is not a name)', args: { name: 'en_US.UTF-8 UTF-8' }, valid: false, message: /locale such as/ },
    { name: 'unknown state', args: { name: 'en_US.UTF-8', state: 'latest' }, valid: false },
    { name: 'unknown key', args: { name: 'en_US.UTF-8', charset: 'UTF-8' }, valid: false, message: /charset/ },
  ]);
});
