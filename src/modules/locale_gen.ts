// locale_gen: a locale enabled in /etc/locale.gen and compiled by locale-gen (package locales).
import { sh } from '../sh.js';
import { TaskError } from '../errors.js';
import { localeFact, normLocale } from '../facts/sys.js';
import { defineModule, definePlan } from './types.js';
import { steps } from './common/steps.js';

export interface LocaleGenArgs {
  name: string | string[];
  state?: 'present' | 'absent';
}

function charset(n: string): string {
  const m = /\.([^@]+)/.exec(n);
  return m ? m[1]!.toUpperCase().replace(/^UTF-?8$/, 'UTF-8') : 'ISO-8859-1';
}

export default defineModule<LocaleGenArgs>({
  name: 'locale_gen',
  schema: {
    type: 'object',
    properties: {
      name: {
        anyOf: [
          { type: 'string', pattern: '^[A-Za-z_]+(\\.[A-Za-z0-9-]+)?(@[a-z]+)?$' },
          { type: 'array', items: { type: 'string', pattern: '^[A-Za-z_]+(\\.[A-Za-z0-9-]+)?(@[a-z]+)?$' }, minItems: 1 },
        ],
        errorMessage: 'name is a locale such as en_US.UTF-8',
      },
      state: { enum: ['present', 'absent'] },
    },
    required: ['name'],
    additionalProperties: false,
  },
  facts: () => [localeFact],
  plan(args, facts, ctx) {
    const st = facts.get(localeFact);
    const names = Array.isArray(args.name) ? args.name : [args.name];
    const present = (args.state ?? 'present') === 'present';
    const todo = names.filter((n) =>
      present
        ? !st.available.includes(normLocale(n)) || !st.enabled.includes(normLocale(n))
        : st.available.includes(normLocale(n)) || st.enabled.includes(normLocale(n)),
    );
    if (!todo.length) return definePlan({ summary: `locales ${present ? 'present' : 'absent'}` });
    if (!st.tool && !ctx.mayChange(localeFact)) throw new TaskError('locale-gen is not installed', 'install the package locales first (apt: name=locales)');
    const edits = todo.map((n) => {
      const esc = n.replace(/[.[\]*^$\\/]/g, '\\$&');
      return present
        ? // Uncomment first (Debian's stock file lists every locale commented), append only when absent.
          sh`sed -i ${`s/^#[[:space:]]*\\(${esc}[[:space:]]\\)/\\1/`} /etc/locale.gen; grep -q ${`^${n.replace(/\./g, '\\.')} `} /etc/locale.gen || printf '%s %s\n' ${n} ${charset(n)} >> /etc/locale.gen`
        : sh`sed -i ${`s/^\\(${esc}[[:space:]]\\)/# \\1/`} /etc/locale.gen`;
    });
    return definePlan({
      changes: [
        {
          description: `${present ? 'generate' : 'remove'} locales ${todo.join(', ')}`,
          script: steps(...edits, sh`locale-gen`),
          invalidates: ['sys:locales', 'file:/etc/locale.gen', 'cmd:*'],
        },
      ],
      diffs: [
        {
          label: 'locales',
          before: todo.map((n) => `${n}: ${present ? 'absent' : 'present'}\n`).join(''),
          after: todo.map((n) => `${n}: ${present ? 'present' : 'absent'}\n`).join(''),
        },
      ],
      summary: `${present ? 'generate' : 'remove'} ${todo.join(', ')}`,
    });
  },
});
