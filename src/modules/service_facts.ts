// service_facts: every service unit as ansible_facts.services (name.service -> {name,
// state, status, source}), read in the host's batched exec: a fact, not a change.
import { servicesFact } from '../facts/sys.js';
import { defineModule, definePlan } from './types.js';

export default defineModule<Record<string, never>>({
  name: 'service_facts',
  schema: { type: 'object', properties: {}, additionalProperties: false },
  factNames: ['ansible_facts'],
  facts: () => [servicesFact],
  plan: (_args, facts) => definePlan({ summary: 'services read', result: { ansible_facts: { services: facts.get(servicesFact) } } }),
});
