// timezone: /etc/localtime's zoneinfo link and Debian's /etc/timezone, set together.
import { sh } from '../sh.js';
import { TaskError } from '../errors.js';
import { timezoneFact } from '../facts/sys.js';
import { defineModule, definePlan } from './types.js';
import { steps } from './common/steps.js';

export interface TimezoneArgs {
  name?: string;
  hwclock?: 'local' | 'UTC';
}

export default defineModule<TimezoneArgs>({
  name: 'timezone',
  schema: {
    type: 'object',
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$', errorMessage: 'name is a zone such as Europe/Paris or UTC' },
      hwclock: { enum: ['local', 'UTC'], errorMessage: 'hwclock is local or UTC; plumb does not manage the RTC of VMs and containers' },
    },
    required: ['name'],
    additionalProperties: false,
  },
  facts: (args) => (args.name ? [timezoneFact(args.name)] : []),
  plan(args, facts, ctx) {
    const zone = args.name!;
    const fact = timezoneFact(zone);
    const st = facts.get(fact);
    if (st.link === zone && st.file === zone) return definePlan({ summary: `timezone is ${zone}` });
    if (!st.known[zone] && !ctx.mayChange(fact))
      throw new TaskError(`unknown timezone ${zone}`, 'use a name under /usr/share/zoneinfo (package tzdata), e.g. Europe/Paris');
    return definePlan({
      changes: [
        {
          description: `set timezone ${zone}`,
          script: steps(sh`ln -sfn ${`/usr/share/zoneinfo/${zone}`} /etc/localtime`, sh`printf '%s\n' ${zone} > /etc/timezone`),
          invalidates: ['sys:*', 'file:/etc/localtime', 'file:/etc/timezone', 'cmd:*'],
        },
      ],
      diffs: [{ label: 'timezone', before: `${st.link || st.file || '(none)'}\n`, after: `${zone}\n` }],
      summary: `set timezone ${zone}`,
    });
  },
});
