// package: Ansible's generic package manager module. plumb targets Debian and its
// derivatives, so it is apt underneath (use: auto or apt), with apt's facts and plan.
import apt, { type AptArgs } from './apt.js';
import { defineModule } from './types.js';

export interface PackageArgs {
  name: string | string[];
  state?: 'present' | 'absent' | 'latest' | 'installed' | 'removed';
  use?: 'auto' | 'apt';
}

const STATE = { installed: 'present', removed: 'absent' } as const;

function toApt(a: PackageArgs): AptArgs {
  const s = a.state ?? 'present';
  return { name: a.name, state: s === 'installed' || s === 'removed' ? STATE[s] : s };
}

export default defineModule<PackageArgs>({
  name: 'package',
  schema: {
    type: 'object',
    properties: {
      name: (apt.schema.properties as Record<string, unknown>)['name'],
      state: { enum: ['present', 'absent', 'latest', 'installed', 'removed'] },
      use: { enum: ['auto', 'apt'], errorMessage: 'plumb manages Debian hosts: use is auto or apt' },
    },
    required: ['name'],
    additionalProperties: false,
  },
  facts: (args, ctx) => apt.facts(toApt(args), ctx),
  plan: (args, facts, ctx) => apt.plan(toApt(args), facts, ctx),
});
