// setup: the ansible_* facts roles use most (distribution, release, architecture, CPUs,
// memory, hostname, fqdn, default IPv4, service manager, virtualization), read in the
// host's batched exec. They become ansible_facts.<name> and ansible_<name> for later tasks.
import { setupFact } from '../facts/setup.js';
import { defineModule, definePlan } from './types.js';

export interface SetupArgs {
  gather_subset?: string | string[];
  filter?: string | string[];
  gather_timeout?: number;
}

/** The names setup sets, as later tasks read them. */
export const SETUP_NAMES = [
  'distribution',
  'distribution_version',
  'distribution_major_version',
  'distribution_release',
  'os_family',
  'system',
  'kernel',
  'architecture',
  'machine',
  'processor_vcpus',
  'processor_count',
  'processor_nproc',
  'memtotal_mb',
  'memfree_mb',
  'swaptotal_mb',
  'hostname',
  'nodename',
  'fqdn',
  'domain',
  'service_mgr',
  'virtualization_type',
  'virtualization_role',
  'default_ipv4',
  'all_ipv4_addresses',
] as const;

function globs(f: string | string[] | undefined): RegExp[] {
  return (f === undefined ? [] : Array.isArray(f) ? f : [f]).map(
    (g) =>
      new RegExp(
        `^${g
          .replace(/^ansible_/, '')
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      ),
  );
}

export default defineModule<SetupArgs>({
  name: 'setup',
  schema: {
    type: 'object',
    properties: {
      // Accepted for roles that pass them; plumb always reads its one small set.
      gather_subset: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
      filter: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
      gather_timeout: { type: 'integer', minimum: 1 },
    },
    additionalProperties: false,
  },
  factNames: ['ansible_facts', ...SETUP_NAMES.map((n) => `ansible_${n}`)],
  facts: () => [setupFact],
  plan(args, facts) {
    const all = facts.get(setupFact);
    const only = globs(args?.filter);
    const picked = only.length ? Object.fromEntries(Object.entries(all).filter(([k]) => only.some((re) => re.test(k)))) : all;
    return definePlan({ summary: `${Object.keys(picked).length} facts read`, result: { ansible_facts: picked } });
  },
});
