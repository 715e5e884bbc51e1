// JSON Schema for Ansible's YAML inventory layout: all -> children / hosts / vars.
export const varsSchema = { type: ['object', 'null'], errorMessage: "'vars' must be a mapping of name: value" } as const;

export const groupSchema = {
  $id: 'plumb:inventory-group',
  type: ['object', 'null'],
  properties: {
    hosts: {
      type: ['object', 'null'],
      additionalProperties: { type: ['object', 'null'], errorMessage: 'a host entry must be a mapping of variables (or empty)' },
      errorMessage: "'hosts' must be a mapping of host names (not a list)",
    },
    vars: varsSchema,
    children: {
      type: ['object', 'null'],
      additionalProperties: { $ref: 'plumb:inventory-group' },
      errorMessage: "'children' must be a mapping of group names (not a list)",
    },
  },
  additionalProperties: false,
} as const;

export const inventorySchema = {
  type: 'object',
  additionalProperties: { $ref: 'plumb:inventory-group' },
  errorMessage: 'an inventory must be a mapping whose top-level key is `all` (or group names)',
} as const;

/** The connection variables: plumb's own name first, then Ansible's, so Ansible inventories load unchanged. */
export const CONNECTION_VARS = {
  host: ['plumb_host', 'ansible_host', 'ansible_ssh_host'],
  port: ['plumb_port', 'ansible_port', 'ansible_ssh_port'],
  user: ['plumb_user', 'ansible_user', 'ansible_ssh_user'],
  keyFile: ['plumb_private_key_file', 'ansible_ssh_private_key_file', 'ansible_private_key_file'],
  become: ['plumb_become', 'ansible_become'],
  knownHosts: ['plumb_known_hosts'],
  proxyJump: ['plumb_proxy_jump'],
  keyPassphrase: ['plumb_private_key_passphrase'],
  becomeUser: ['plumb_become_user', 'ansible_become_user', 'ansible_sudo_user'],
  becomePassword: ['plumb_become_password', 'ansible_become_password', 'ansible_become_pass', 'ansible_sudo_pass'],
} as const;

export const varsFileSchema = { type: 'object', errorMessage: 'a vars file must be a mapping of name: value' } as const;
