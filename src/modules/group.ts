// group: a local group, present (optionally with a fixed gid) or absent.
import { sh } from '../sh.js';
import { groupFact } from '../facts/user.js';
import { PROBES } from './common/put-file.js';
import { defineModule, definePlan, type Plan } from './types.js';

export interface GroupArgs {
  name: string;
  state?: 'present' | 'absent';
  gid?: number;
  system?: boolean;
}

export default defineModule<GroupArgs>({
  name: 'group',
  schema: {
    type: 'object',
    properties: {
      name: { type: 'string', pattern: '^[a-z_][a-z0-9_.-]*$', maxLength: 32, errorMessage: 'must be a group name: lowercase letters, digits, _ . -' },
      state: { enum: ['present', 'absent'] },
      gid: { type: 'integer', minimum: 0 },
      system: { type: 'boolean' },
    },
    required: ['name'],
    additionalProperties: false,
  },
  facts: (args) => [groupFact(args.name)],
  plan(args, facts): Plan {
    const st = facts.get(groupFact(args.name));
    const name = args.name;
    // A group's gid and existence show up in users' facts (id -gn / -Gn) too.
    const invalidates = [`group:${name}`, 'user:*', PROBES];
    const label = `group ${name}`;
    if (args.state === 'absent') {
      if (st.kind === 'absent') return definePlan({ summary: 'already absent' });
      return definePlan({
        changes: [{ description: `remove group ${name}`, script: sh`groupdel -- ${name}`, invalidates }],
        diffs: [{ label, before: `state=present\ngid=${st.gid}\n`, after: 'state=absent\n' }],
        summary: `remove group ${name}`,
      });
    }
    if (st.kind === 'absent') {
      const opts: (string | number)[] = [];
      if (args.system) opts.push('--system');
      if (args.gid !== undefined) opts.push('--gid', args.gid);
      return definePlan({
        changes: [{ description: `create group ${name}`, script: sh`groupadd ${opts} -- ${name}`, invalidates }],
        diffs: [{ label, before: 'state=absent\n', after: `state=present\n${args.gid !== undefined ? `gid=${args.gid}\n` : ''}` }],
        summary: `create group ${name}`,
      });
    }
    if (args.gid !== undefined && args.gid !== st.gid) {
      return definePlan({
        changes: [{ description: `change gid of group ${name}`, script: sh`groupmod --gid ${args.gid} -- ${name}`, invalidates: [...invalidates, 'file:*'] }],
        diffs: [{ label, before: `gid=${st.gid}\n`, after: `gid=${args.gid}\n` }],
        summary: `change gid of group ${name}`,
      });
    }
    return definePlan({ summary: 'in sync' });
  },
});
