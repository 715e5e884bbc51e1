// alternatives: a Debian alternatives link group pointed at a path (update-alternatives).
import { sh, type Shell } from '../sh.js';
import { TaskError } from '../errors.js';
import { alternativesFact } from '../facts/sys.js';
import { defineModule, definePlan } from './types.js';
import { absPathSchema } from './common/schema.js';
import { steps } from './common/steps.js';

export interface AlternativesArgs {
  name: string;
  path: string;
  link?: string;
  priority?: number;
  state?: 'selected' | 'present' | 'auto' | 'absent';
}

export default defineModule<AlternativesArgs>({
  name: 'alternatives',
  schema: {
    type: 'object',
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z0-9_.+-]+$' },
      path: absPathSchema,
      link: absPathSchema,
      priority: { type: 'integer' },
      state: { enum: ['selected', 'present', 'auto', 'absent'] },
    },
    required: ['name', 'path'],
    additionalProperties: false,
  },
  facts: (args) => [alternativesFact(args.name)],
  plan(args, facts, ctx) {
    const fact = alternativesFact(args.name);
    const st = facts.get(fact);
    const state = args.state ?? 'selected';
    const registered = st.paths.includes(args.path);
    const cmds: Shell[] = [];
    if (state === 'absent') {
      if (registered) cmds.push(sh`update-alternatives --remove ${args.name} ${args.path}`);
    } else {
      // Ansible re-installs a registered path whose priority differs from a given one.
      const repriority = registered && args.priority !== undefined && st.priorities?.[args.path] !== undefined && st.priorities[args.path] !== args.priority;
      if (!registered || repriority) {
        if (!registered && !args.link && !st.value && !ctx.mayChange(fact))
          throw new TaskError(`alternatives ${args.name}: no such link group`, 'give link: (the generic path, e.g. /usr/bin/editor) to create it');
        // An existing group keeps its own link (iptables: /usr/sbin/iptables), as Ansible reads it from --query.
        const link = args.link ?? (st.link || `/usr/bin/${args.name}`);
        cmds.push(sh`update-alternatives --install ${link} ${args.name} ${args.path} ${args.priority ?? 50}`);
      }
      if (state === 'selected' && (st.value !== args.path || st.status !== 'manual')) cmds.push(sh`update-alternatives --set ${args.name} ${args.path}`);
      if (state === 'auto' && st.status !== 'auto') cmds.push(sh`update-alternatives --auto ${args.name}`);
    }
    if (!cmds.length) return definePlan({ summary: `${args.name} -> ${st.value}` });
    return definePlan({
      changes: [
        { description: `alternatives ${args.name} ${state} ${args.path}`, script: steps(...cmds), invalidates: [`sys:alt:${args.name}`, 'file:*', 'cmd:*'] },
      ],
      diffs: [
        {
          label: `alternatives ${args.name}`,
          before: `${st.value || '(none)'} (${st.status || 'absent'})\n`,
          after:
            state === 'absent'
              ? `${args.path} removed\n`
              : `${state === 'auto' ? '(highest priority)' : args.path} (${state === 'auto' ? 'auto' : 'manual'})\n`,
        },
      ],
      summary: `alternatives ${args.name}: ${state} ${args.path}`,
    });
  },
});
