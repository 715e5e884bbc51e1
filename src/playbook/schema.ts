// JSON Schemas for playbooks, plays, tasks and roles. Module arguments are validated
// separately against each module's own schema (src/modules/*.ts).
const conditions = { anyOf: [{ type: 'string', minLength: 1 }, { type: 'boolean' }, { type: 'array', items: { type: ['string', 'boolean'] } }] } as const;
const stringOrList = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } as const;

const batchSize = {
  anyOf: [
    { type: 'integer', minimum: 1 },
    { type: 'string', pattern: '^(100|[1-9]?[0-9])%$' },
  ],
} as const;
/** A login name as useradd accepts it: remote_user here, become_user once interpolated (engine/play.ts). */
export const USER_NAME_PATTERN = '^[a-z_][a-z0-9_.-]*[$]?$';
/** A user name as written (no expression: plumb needs it before any host is reached). */
const userName = (what: string) =>
  ({
    type: 'string',
    pattern: USER_NAME_PATTERN,
    errorMessage: `${what} must be a user name (lower-case letters, digits, _ . -)`,
  }) as const;

/** Ansible's `with_<lookup>` loops plumb runs through the same loop machinery as `loop`. */
export const LEGACY_LOOPS = ['with_items', 'with_list', 'with_dict', 'with_subelements', 'with_first_found'] as const;

/** Keys a task may have besides its one module key. */
export const TASK_KEYWORDS = [
  'name',
  'when',
  'notify',
  'tags',
  'loop',
  'loop_var',
  'register',
  'become',
  'no_log',
  'ignore_errors',
  'listen',
  'timeout',
  'vars',
  'environment',
  'changed_when',
  'failed_when',
  'until',
  'retries',
  'delay',
  'loop_control',
  'check_mode',
  'args',
  'delegate_to',
  'run_once',
  'ignore_unreachable',
  'become_user',
  'any_errors_fatal',
  'throttle',
  'rescue',
  'always',
  ...LEGACY_LOOPS,
] as const;

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
    vars: { type: 'object' },
    environment: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
    changed_when: conditions,
    failed_when: conditions,
    until: { type: 'string', minLength: 1 },
    retries: { type: ['integer', 'string'], minimum: 0 },
    delay: { type: ['number', 'string'], minimum: 0 },
    loop_control: {
      type: 'object',
      properties: {
        label: { type: 'string' },
        index_var: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
        loop_var: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
        pause: { type: 'number', minimum: 0 },
        extended: { type: 'boolean' },
      },
      additionalProperties: false,
    },
    check_mode: { type: 'boolean' },
    args: { type: 'object' },
    delegate_to: { type: 'string', minLength: 1 },
    run_once: { type: 'boolean' },
    ignore_unreachable: { type: 'boolean' },
    become_user: { type: 'string', minLength: 1 },
    any_errors_fatal: { type: 'boolean' },
    throttle: { type: 'integer', minimum: 1, errorMessage: "'throttle' is how many hosts may run the task at once: a whole number, 1 or more" },
    rescue: { type: 'array' },
    always: { type: 'array' },
    with_items: { type: ['array', 'string'] },
    with_list: { type: ['array', 'string'] },
    with_dict: { type: ['object', 'string'] },
    with_subelements: { anyOf: [{ type: 'array', minItems: 2, maxItems: 3 }, { type: 'string' }] },
    with_first_found: { type: ['array', 'string', 'object'] },
  },
} as const;

export const playSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1 },
    hosts: { type: 'string', minLength: 1, errorMessage: '\'hosts\' must be a pattern string such as "webservers" or "web-01,web-02"' },
    vars: { type: 'object' },
    become: { type: 'boolean' },
    serial: {
      anyOf: [batchSize, { type: 'array', minItems: 1, items: batchSize }],
      errorMessage: '\'serial\' must be a positive integer, a percentage such as "30%", or a list of them such as [1, "50%"]',
    },
    order: {
      enum: ['inventory', 'reverse_inventory', 'sorted', 'reverse_sorted', 'shuffle'],
      errorMessage: "'order' is one of inventory, reverse_inventory, sorted, reverse_sorted, shuffle",
    },
    any_errors_fatal: { type: 'boolean' },
    remote_user: userName("'remote_user'"),
    become_user: { type: 'string', minLength: 1 },
    max_fail_percentage: { type: 'number', minimum: 0, maximum: 100 },
    roles: {
      type: 'array',
      items: {
        anyOf: [
          { type: 'string', minLength: 1 },
          {
            type: 'object',
            properties: {
              role: { type: 'string' },
              name: { type: 'string' },
              vars: { type: 'object' },
              tags: stringOrList,
              when: { type: 'string' },
              become: { type: 'boolean' },
            },
            additionalProperties: false,
          },
        ],
      },
    },
    // Each task's shape is checked by the loader, which says more than "must be object".
    tasks: { type: 'array' },
    pre_tasks: { type: 'array' },
    post_tasks: { type: 'array' },
    handlers: { type: 'array' },
    vars_files: stringOrList,
    environment: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
    tags: stringOrList,
    gather_facts: { type: 'boolean', errorMessage: "gather_facts is true or false (true: the ansible_* facts are read in the host's one batched exec)" },
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
