// hostname: the kernel's hostname and /etc/hostname, set together (use: systemd, debian).
import { sh } from '../sh.js';
import { hostnameFact } from '../facts/sys.js';
import { defineModule, definePlan } from './types.js';
import { steps } from './common/steps.js';

export interface HostnameArgs {
  name: string;
  use?: 'systemd' | 'debian' | 'generic';
}

export default defineModule<HostnameArgs>({
  name: 'hostname',
  schema: {
    type: 'object',
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$', errorMessage: 'name is a hostname: letters, digits, dots and dashes' },
      use: { enum: ['systemd', 'debian', 'generic'] },
    },
    required: ['name'],
    additionalProperties: false,
  },
  facts: () => [hostnameFact],
  plan(args, facts) {
    const st = facts.get(hostnameFact);
    if (st.current === args.name && st.file === args.name) return definePlan({ summary: 'hostname is set', result: { name: args.name } });
    // Written directly, not through hostnamectl: it works without dbus and in containers.
    return definePlan({
      changes: [
        {
          description: `set hostname ${args.name}`,
          script: steps(sh`printf '%s\n' ${args.name} > /etc/hostname`, sh`hostname ${args.name}`),
          invalidates: ['sys:*', 'cmd:*', 'file:/etc/hostname'],
        },
      ],
      diffs: [
        { label: 'hostname', before: `hostname=${st.current}\n/etc/hostname=${st.file}\n`, after: `hostname=${args.name}\n/etc/hostname=${args.name}\n` },
      ],
      summary: `set hostname ${args.name}`,
      result: { name: args.name },
    });
  },
});
