// user: a local account — present with the given uid, primary group, supplementary
// groups, shell, home and comment, or absent. useradd/usermod/userdel do the work.
import { sh, type Shell } from '../sh.js';
import { TaskError } from '../errors.js';
import { groupFact, userFact, type UserState } from '../facts/user.js';
import { defineModule, definePlan, type Plan } from './types.js';
import { steps } from './common/steps.js';
import { PROBES } from './common/put-file.js';
import { absPathSchema } from './common/schema.js';

export interface UserArgs {
  name: string;
  state?: 'present' | 'absent';
  uid?: number;
  /** Primary group (must exist). */
  group?: string;
  /** Supplementary groups. Exactly these unless append: true. */
  groups?: string[] | string;
  append?: boolean;
  shell?: string;
  home?: string;
  create_home?: boolean;
  comment?: string;
  system?: boolean;
  /** state: absent also removes the home directory and mail spool. */
  remove?: boolean;
}

const nameSchema = {
  type: 'string',
  pattern: '^[a-z_][a-z0-9_.-]*\\$?$',
  maxLength: 32,
  errorMessage: 'must be a user or group name: lowercase letters, digits, _ . -',
} as const;

function lines(u: { uid?: number; group?: string; groups?: string[]; shell?: string; home?: string; comment?: string }): string {
  return (
    (u.uid !== undefined ? `uid=${u.uid}\n` : '') +
    (u.group !== undefined ? `group=${u.group}\n` : '') +
    (u.groups !== undefined ? `groups=${[...u.groups].sort().join(',')}\n` : '') +
    (u.shell !== undefined ? `shell=${u.shell}\n` : '') +
    (u.home !== undefined ? `home=${u.home}\n` : '') +
    (u.comment !== undefined ? `comment=${u.comment}\n` : '')
  );
}

export default defineModule<UserArgs>({
  name: 'user',
  schema: {
    type: 'object',
    properties: {
      name: nameSchema,
      state: { enum: ['present', 'absent'] },
      uid: { type: 'integer', minimum: 0 },
      group: nameSchema,
      // A list, or Ansible's comma-separated string.
      groups: {
        anyOf: [
          { type: 'array', items: nameSchema },
          { type: 'string', pattern: '^([a-z_][a-z0-9_.-]*(,[a-z_][a-z0-9_.-]*)*)?$' },
        ],
        errorMessage: 'groups is a list of group names (or "a,b")',
      },
      append: { type: 'boolean' },
      shell: absPathSchema,
      home: absPathSchema,
      create_home: { type: 'boolean' },
      comment: { type: 'string', pattern: '^[^:\\n]*$', errorMessage: 'comment cannot contain : or a newline' },
      system: { type: 'boolean' },
      remove: { type: 'boolean' },
    },
    required: ['name'],
    additionalProperties: false,
  },
  // Without `group`, a same-named group may already exist: useradd would refuse to create it.
  facts: (args) => [userFact(args.name), groupFact(args.group ?? args.name)],
  plan(args, facts, ctx): Plan {
    const fact = userFact(args.name);
    const st: UserState = facts.get(fact);
    const name = args.name;
    const invalidates = [`user:${name}`, 'group:*', 'file:*', PROBES];

    if (args.state === 'absent') {
      if (st.kind === 'absent') return definePlan({ summary: 'already absent' });
      const description = `remove user ${name}`;
      return definePlan({
        changes: [
          {
            description,
            script: args.remove ? sh`userdel -r -- ${name}` : sh`userdel -- ${name}`,
            invalidates: [`user:${name}`, 'group:*', ...(args.remove ? ['file:*'] : []), PROBES],
          },
        ],
        diffs: [
          {
            label: `user ${name}`,
            before: `state=present\n${lines({ uid: st.uid, group: st.group, groups: st.groups, shell: st.shell, home: st.home })}`,
            after: 'state=absent\n',
          },
        ],
        summary: description,
      });
    }

    if (args.group !== undefined) {
      const g = facts.get(groupFact(args.group));
      if (g.kind === 'absent' && !ctx.mayChange(groupFact(args.group))) {
        throw new TaskError(`group ${args.group} does not exist`, `create it first with a group: task`);
      }
    }

    // Supplementary groups as id -Gn reports them (the primary group is listed first).
    const listed = typeof args.groups === 'string' ? args.groups.split(',').filter((g) => g !== '') : args.groups;
    const wantGroups = listed === undefined ? undefined : [...new Set(listed)];
    if (st.kind === 'absent') {
      const opts: (string | number)[] = [];
      if (args.system) opts.push('--system');
      if (args.uid !== undefined) opts.push('--uid', args.uid);
      if (args.group !== undefined) opts.push('--gid', args.group);
      // A group named like the user already exists (made by a group: task): join it as the
      // primary group instead of failing with "group exists" (USERGROUPS_ENAB).
      else if (facts.get(groupFact(name)).kind !== 'absent') opts.push('--gid', name);
      if (wantGroups?.length) opts.push('--groups', wantGroups.join(','));
      if (args.shell !== undefined) opts.push('--shell', args.shell);
      if (args.home !== undefined) opts.push('--home-dir', args.home);
      if (args.comment !== undefined) opts.push('--comment', args.comment);
      opts.push(args.create_home === false ? '--no-create-home' : '--create-home');
      const description = `create user ${name}`;
      return definePlan({
        changes: [{ description, script: sh`useradd ${opts} -- ${name}`, invalidates }],
        diffs: [{ label: `user ${name}`, before: 'state=absent\n', after: `state=present\n${lines({ ...args, groups: wantGroups })}` }],
        summary: description,
      });
    }

    // id -Gn lists the primary group too; it is not a supplementary membership to manage.
    const primary = args.group ?? st.group;
    const current = st.groups.filter((g) => g !== st.group && g !== primary);
    const wanted = wantGroups?.filter((g) => g !== primary);
    const missing = (wanted ?? []).filter((g) => !current.includes(g));
    const extra = args.append || wanted === undefined ? [] : current.filter((g) => !wanted.includes(g));
    const opts: (string | number)[] = [];
    const before: Parameters<typeof lines>[0] = {};
    const after: Parameters<typeof lines>[0] = {};
    const drift = <K extends 'uid' | 'group' | 'shell' | 'home' | 'comment'>(key: K, want: UserArgs[K], have: UserArgs[K], flag: string): void => {
      if (want === undefined || want === have) return;
      opts.push(flag, want as string | number);
      (before as Record<string, unknown>)[key] = have;
      (after as Record<string, unknown>)[key] = want;
    };
    drift('uid', args.uid, st.uid, '--uid');
    drift('group', args.group, st.group, '--gid');
    drift('shell', args.shell, st.shell, '--shell');
    drift('home', args.home, st.home, '--home');
    drift('comment', args.comment, st.comment, '--comment');
    if (missing.length || extra.length) {
      const final = args.append ? [...current, ...missing] : (wanted ?? []);
      // -a -G adds; plain -G sets the exact list (an empty list clears it).
      if (args.append) opts.push('--append', '--groups', missing.join(','));
      else opts.push('--groups', final.join(','));
      before.groups = current;
      after.groups = final;
    }
    if (opts.length === 0) return definePlan({ summary: 'in sync' });
    const cmds: Shell[] = [sh`usermod ${opts} -- ${name}`];
    const description = `update user ${name}`;
    return definePlan({
      changes: [{ description, script: steps(...cmds), invalidates }],
      diffs: [{ label: `user ${name}`, before: lines(before), after: lines(after) }],
      summary: description,
    });
  },
});
