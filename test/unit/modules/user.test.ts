import user, { type UserArgs } from '../../../src/modules/user.js';
import group, { type GroupArgs } from '../../../src/modules/group.js';
import type { UserState } from '../../../src/facts/user.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const deploy = (over: Partial<Extract<UserState, { kind: 'present' }>> = {}): UserState => ({
  kind: 'present',
  uid: 1001,
  gid: 1001,
  comment: '',
  home: '/home/deploy',
  shell: '/bin/bash',
  group: 'deploy',
  groups: ['deploy', 'sudo'],
  ...over,
});
const U = 'user:deploy';

const userCases: Case<UserArgs>[] = [
  {
    name: 'absent -> useradd with the options given',
    args: { name: 'deploy', uid: 1001, groups: ['sudo', 'docker'], shell: '/bin/bash', comment: 'Deploy bot' },
    facts: { [U]: { kind: 'absent' }, 'group:deploy': { kind: 'absent' } },
    expect: {
      status: 'changed',
      scriptMatches: [/^useradd --uid 1001 --groups sudo,docker --shell \/bin\/bash --comment 'Deploy bot' --create-home -- deploy$/m],
      diff: [{ label: 'user deploy', before: 'state=absent\n', after: 'state=present\nuid=1001\ngroups=docker,sudo\nshell=/bin/bash\ncomment=Deploy bot\n' }],
      invalidates: ['user:deploy', 'group:*'],
    },
  },
  {
    name: 'system user without home',
    args: { name: 'app', system: true, create_home: false, shell: '/usr/sbin/nologin' },
    facts: { 'user:app': { kind: 'absent' }, 'group:app': { kind: 'absent' } },
    expect: { status: 'changed', scriptMatches: [/useradd --system --shell \/usr\/sbin\/nologin --no-create-home -- app/] },
  },
  {
    name: 'a same-named group already exists -> joins it as primary group',
    args: { name: 'app', system: true },
    facts: { 'user:app': { kind: 'absent' }, 'group:app': { kind: 'present', gid: 990, members: [] } },
    expect: { status: 'changed', scriptMatches: [/useradd --system --gid app .*-- app/] },
  },
  {
    name: 'present and matching -> ok',
    args: { name: 'deploy', uid: 1001, shell: '/bin/bash', groups: ['sudo'] },
    facts: { [U]: deploy(), 'group:deploy': { kind: 'present', gid: 1001, members: [] } },
    expect: { status: 'ok' },
  },
  {
    name: 'the primary group listed in groups is not drift',
    args: { name: 'deploy', groups: ['deploy', 'sudo'] },
    facts: { [U]: deploy(), 'group:deploy': { kind: 'present', gid: 1001, members: [] } },
    expect: { status: 'ok' },
  },
  {
    name: 'drifted shell and groups -> usermod with a diff',
    args: { name: 'deploy', shell: '/bin/zsh', groups: ['docker'] },
    facts: { [U]: deploy(), 'group:deploy': { kind: 'present', gid: 1001, members: [] } },
    expect: {
      status: 'changed',
      scriptMatches: [/usermod --shell \/bin\/zsh --groups docker -- deploy/],
      diff: [{ label: 'user deploy', before: 'groups=sudo\nshell=/bin/bash\n', after: 'groups=docker\nshell=/bin/zsh\n' }],
    },
  },
  {
    name: 'groups as "a,b" works like a list',
    args: { name: 'deploy', groups: 'sudo,docker', append: true },
    facts: { [U]: deploy(), 'group:deploy': { kind: 'present', gid: 1001, members: [] } },
    expect: { status: 'changed', scriptMatches: [/usermod --append --groups docker -- deploy/] },
  },
  {
    name: 'append only adds the missing groups',
    args: { name: 'deploy', groups: ['docker', 'sudo'], append: true },
    facts: { [U]: deploy(), 'group:deploy': { kind: 'present', gid: 1001, members: [] } },
    expect: { status: 'changed', scriptMatches: [/usermod --append --groups docker -- deploy/] },
  },
  {
    name: 'append with all groups present -> ok',
    args: { name: 'deploy', groups: ['sudo'], append: true },
    facts: { [U]: deploy({ groups: ['deploy', 'sudo', 'adm'] }), 'group:deploy': { kind: 'present', gid: 1001, members: [] } },
    expect: { status: 'ok' },
  },
  {
    name: 'groups: [] clears supplementary groups',
    args: { name: 'deploy', groups: [] },
    facts: { [U]: deploy(), 'group:deploy': { kind: 'present', gid: 1001, members: [] } },
    expect: { status: 'changed', scriptMatches: [/usermod --groups '' -- deploy/] },
  },
  {
    name: 'primary group missing -> error',
    args: { name: 'deploy', group: 'web' },
    facts: { [U]: deploy(), 'group:web': { kind: 'absent' } },
    expect: { status: 'error', error: /group web does not exist/ },
  },
  {
    name: 'primary group missing but created earlier in check mode -> would change',
    args: { name: 'deploy', group: 'web' },
    facts: { [U]: deploy(), 'group:web': { kind: 'absent' } },
    ctx: { mayChange: (f) => f.key === 'group:web' },
    expect: { status: 'changed', scriptMatches: [/usermod --gid web -- deploy/] },
  },
  {
    name: 'absent: present -> userdel',
    args: { name: 'deploy', state: 'absent', remove: true },
    facts: { [U]: deploy(), 'group:deploy': { kind: 'present', gid: 1001, members: [] } },
    expect: { status: 'changed', scriptMatches: [/userdel -r -- deploy/] },
  },
  {
    name: 'absent: absent -> ok',
    args: { name: 'deploy', state: 'absent' },
    facts: { [U]: { kind: 'absent' }, 'group:deploy': { kind: 'absent' } },
    expect: { status: 'ok' },
  },
];

const groupCases: Case<GroupArgs>[] = [
  {
    name: 'absent -> groupadd',
    args: { name: 'web', gid: 2000, system: true },
    facts: { 'group:web': { kind: 'absent' } },
    expect: {
      status: 'changed',
      scriptMatches: [/groupadd --system --gid 2000 -- web/],
      diff: [{ label: 'group web', before: 'state=absent\n', after: 'state=present\ngid=2000\n' }],
    },
  },
  { name: 'present -> ok', args: { name: 'web' }, facts: { 'group:web': { kind: 'present', gid: 2000, members: [] } }, expect: { status: 'ok' } },
  {
    name: 'drifted gid -> groupmod',
    args: { name: 'web', gid: 2001 },
    facts: { 'group:web': { kind: 'present', gid: 2000, members: [] } },
    expect: { status: 'changed', scriptMatches: [/groupmod --gid 2001 -- web/], diff: [{ label: 'group web', before: 'gid=2000\n', after: 'gid=2001\n' }] },
  },
  {
    name: 'absent state -> groupdel',
    args: { name: 'web', state: 'absent' },
    facts: { 'group:web': { kind: 'present', gid: 2000, members: [] } },
    expect: { status: 'changed', scriptMatches: [/groupdel -- web/] },
  },
  { name: 'absent state, absent -> ok', args: { name: 'web', state: 'absent' }, facts: { 'group:web': { kind: 'absent' } }, expect: { status: 'ok' } },
];

describe('modules/user', () => {
  runTable(user, userCases);
  runSchemaTable(user, [
    { name: 'name only', args: { name: 'deploy' }, valid: true },
    { name: 'uid as a string', args: { name: 'deploy', uid: '1001' }, valid: false },
    { name: 'uppercase name', args: { name: 'Deploy' }, valid: false },
    { name: 'groups as a comma-separated string (Ansible)', args: { name: 'deploy', groups: 'sudo,docker' }, valid: true },
    { name: 'groups string with a space', args: { name: 'deploy', groups: 'sudo, docker' }, valid: false, message: /list of group names/ },
    { name: 'unknown key', args: { name: 'deploy', password: 'x' }, valid: false, message: /'password'/ },
    { name: 'comment with a colon', args: { name: 'deploy', comment: 'a:b' }, valid: false },
  ]);
});

describe('modules/group', () => {
  runTable(group, groupCases);
  runSchemaTable(group, [
    { name: 'name + gid', args: { name: 'web', gid: 2000 }, valid: true },
    { name: 'unknown key', args: { name: 'web', members: [] }, valid: false, message: /'members'/ },
  ]);
});
