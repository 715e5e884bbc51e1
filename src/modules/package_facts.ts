// package_facts: every installed package as ansible_facts.packages (name -> list of
// {name, version, arch, source}), read in the host's batched exec. Debian: manager apt.
import { packagesFact } from '../facts/sys.js';
import { defineModule, definePlan } from './types.js';

export interface PackageFactsArgs {
  manager?: 'auto' | 'apt' | string[];
  strategy?: 'first' | 'all';
}

export default defineModule<PackageFactsArgs>({
  name: 'package_facts',
  schema: {
    type: 'object',
    properties: {
      manager: {
        anyOf: [{ enum: ['auto', 'apt'] }, { type: 'array', items: { enum: ['auto', 'apt'] } }],
        errorMessage: 'plumb reads Debian packages: manager is auto or apt',
      },
      strategy: { enum: ['first', 'all'] },
    },
    additionalProperties: false,
  },
  factNames: ['ansible_facts'],
  facts: () => [packagesFact],
  plan: (_args, facts) => definePlan({ summary: 'packages read', result: { ansible_facts: { packages: facts.get(packagesFact) } } }),
});
