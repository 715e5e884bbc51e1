// JSON Schemas for playbooks, plays, tasks and roles. Module arguments are validated
// separately against each module's own schema (src/modules/*.ts).
const stringOrList = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } as const;

/** Keys a task may have besides its one module key. */
export const TASK_KEYWORDS = ['name', 'when', 'notify', 'tags', 'loop', 'loop_var', 'register', 'become', 'no_log', 'ignore_errors', 'listen', 'timeout'] as const;

export const taskKeywordSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1 },
    when: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'boolean' }, { type: 'array', items: { type: ['string', 'boolean'] } }] },
    notify: stringOrList,
    listen: stringOrList,
    tags: stringOrList,
    loop: { type: ['array', 'string'], errorMessage: "'loop' must be a list, or a string holding one {{ expression }}" },
    loop_var: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    register: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', errorMessage: "'register' must be a variable name (letters, digits, _)" },
    become: { type: 'boolean' },
    no_log: { type: 'boolean' },
    ignore_errors: { type: 'boolean' },
    timeout: { type: 'integer', minimum: 0, errorMessage: "'timeout' is whole seconds (0: no limit), e.g. timeout: 300" },
  },
} as const;

export const playSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1 },
    hosts: { type: 'string', minLength: 1, errorMessage: "'hosts' must be a pattern string such as \"webservers\" or \"web-01,web-02\"" },
    vars: { type: 'object' },
    become: { type: 'boolean' },
    serial: {
      anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^(100|[1-9]?[0-9])%$' }],
      errorMessage: "'serial' must be a positive integer or a percentage such as \"30%\"",
    },
    max_fail_percentage: { type: 'number', minimum: 0, maximum: 100 },
    roles: {
      type: 'array',
      items: {
        anyOf: [
          { type: 'string', minLength: 1 },
          { type: 'object', properties: { role: { type: 'string' }, vars: { type: 'object' }, tags: stringOrList, when: { type: 'string' } }, required: ['role'], additionalProperties: false },
        ],
      },
    },
    // Each task's shape is checked by the loader, which says more than "must be object".
    tasks: { type: 'array' },
    handlers: { type: 'array' },
    tags: stringOrList,
    gather_facts: { type: 'boolean', errorMessage: 'gather_facts is accepted for Ansible compatibility; plumb gathers only the facts tasks need' },
    force_handlers: { type: 'boolean' },
  },
  required: ['hosts'],
  additionalProperties: false,
} as const;

export const playbookSchema = {
  type: 'array',
  minItems: 1,
  items: { type: 'object' },
  errorMessage: 'a playbook is a YAML list of plays (each starting with "- name: ..." and "hosts: ...")',
} as const;

export const roleDefaultsSchema = { type: ['object', 'null'], errorMessage: 'role defaults must be a mapping of name: value' } as const;
