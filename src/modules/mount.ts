// mount (ansible.posix): a filesystem's fstab line and whether it is mounted now. The fstab
// is edited as the line editors edit (atomic write, exact diff); what is mounted is a fact
// (findmnt, in the batch). `mounted` mounts what is not, remounts what the fstab change
// altered, and mounts again what is mounted from another source; `remounted` always runs.
import { TaskError } from '../errors.js';
import { sh, type Shell } from '../sh.js';
import { mountFact, type MountState } from '../facts/sys.js';
import type { Fact } from '../facts/types.js';
import { defineModule, definePlan, type Change, type Diff, type Plan } from './types.js';
import { editFacts, liveText, planEdit, splitLines } from './common/edit.js';
import { absPathSchema, has } from './common/schema.js';
import { steps } from './common/steps.js';
import { PROBES } from './common/put-file.js';

export interface MountArgs {
  path?: string;
  name?: string;
  src?: string;
  fstype?: string;
  opts?: string;
  dump?: string | number;
  passno?: string | number;
  state: 'mounted' | 'present' | 'unmounted' | 'absent' | 'absent_from_fstab' | 'remounted' | 'ephemeral';
  fstab?: string;
  boot?: boolean;
  backup?: boolean;
}

export const DEFAULT_FSTAB = '/etc/fstab';

const pathOf = (a: MountArgs): string => a.path ?? a.name ?? '';
const fstabOf = (a: MountArgs): string => a.fstab ?? DEFAULT_FSTAB;

/** fstab's escapes: a blank in a field is \040, a tab \011, a backslash \134. */
export const escapeField = (s: string): string => s.replace(/\\/g, '\\134').replace(/ /g, '\\040').replace(/\t/g, '\\011').replace(/\n/g, '\\012');
const unescapeField = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

/** The options the entry must have: `boot: false` is Ansible's "noauto". */
export function optsOf(a: MountArgs): string {
  const opts = a.opts ?? 'defaults';
  if (a.boot === false && !opts.split(',').includes('noauto')) return opts === 'defaults' ? 'noauto' : `${opts},noauto`;
  return opts;
}

export function fstabLine(a: MountArgs): string {
  return `${[a.src ?? '', pathOf(a), a.fstype ?? '', optsOf(a)].map(escapeField).join(' ')} ${String(a.dump ?? 0)} ${String(a.passno ?? 0)}\n`;
}

/** The fstab with the path's entry set (line) or removed (null): other lines kept byte for byte. */
export function editFstab(text: string, path: string, line: string | null): string {
  const out: string[] = [];
  let done = false;
  for (const l of splitLines(text)) {
    const fields = l.trim().split(/\s+/);
    const isEntry = !l.trim().startsWith('#') && fields.length >= 2 && unescapeField(fields[1]!) === path;
    if (!isEntry) out.push(l);
    else if (line !== null && !done) {
      out.push(sameEntry(l, line) ? (l.endsWith('\n') ? l : `${l}\n`) : line);
      done = true;
    }
  }
  if (line !== null && !done) {
    if (out.length && !out[out.length - 1]!.endsWith('\n')) out[out.length - 1] += '\n';
    out.push(line);
  }
  return out.join('');
}

/** Same fields (missing dump and passno are 0, as mount(8) reads them), whatever the blanks between. */
function sameEntry(a: string, b: string): boolean {
  const f = (l: string) => {
    const [src = '', p = '', t = '', o = 'defaults', d = '0', n = '0'] = l.trim().split(/\s+/);
    return [src, p, t, o, d, n].join(' ');
  };
  return f(a) === f(b);
}

const MOUNT_STATES = ['mounted', 'present', 'unmounted', 'absent', 'absent_from_fstab', 'remounted', 'ephemeral'];
const FIELD = { type: 'string', minLength: 1, not: { type: 'string', pattern: '\\n' } };
const NUM = {
  anyOf: [
    { type: 'integer', minimum: 0 },
    { type: 'string', pattern: '^[0-9]+$' },
  ],
};

export default defineModule<MountArgs>({
  name: 'mount',
  schema: {
    type: 'object',
    properties: {
      path: absPathSchema,
      name: absPathSchema,
      src: FIELD,
      fstype: FIELD,
      opts: { ...FIELD, pattern: '^[^\\s]+$', errorMessage: 'opts is a comma-separated list without blanks, such as "defaults,noatime"' },
      dump: NUM,
      passno: NUM,
      state: { enum: MOUNT_STATES, errorMessage: `state is one of ${MOUNT_STATES.join(', ')}` },
      fstab: absPathSchema,
      boot: { type: 'boolean' },
      backup: { type: 'boolean' },
    },
    required: ['state'],
    additionalProperties: false,
    allOf: [
      { oneOf: [has('path'), has('name')], errorMessage: 'mount needs path (the mount point)' },
      {
        if: { properties: { state: { enum: ['mounted', 'present', 'ephemeral'] } } },
        then: has('src', 'fstype'),
        errorMessage: 'state mounted, present and ephemeral need src and fstype',
      },
    ],
  },
  facts(args): Fact<unknown>[] {
    const list: Fact<unknown>[] = [mountFact(pathOf(args), fstabOf(args))];
    if (!['unmounted', 'remounted', 'ephemeral'].includes(args.state)) list.push(...editFacts(fstabOf(args)));
    return list;
  },
  plan(args, facts): Plan {
    const path = pathOf(args);
    const fstab = fstabOf(args);
    const live: MountState = facts.get(mountFact(path, fstab));
    const changes: Change[] = [];
    const diffs: Diff[] = [];
    const what: string[] = [];
    const invalidates = [`sys:mount:${path}`, PROBES];

    let fstabChanged = false;
    if (!['unmounted', 'remounted', 'ephemeral'].includes(args.state)) {
      const { st, text } = liveText(fstab, facts);
      const line = ['mounted', 'present'].includes(args.state) ? fstabLine(args) : null;
      if (text !== null || line !== null) {
        const after = editFstab(text ?? '', path, line);
        const p = planEdit({ backup: args.backup }, fstab, st, text, after, line ? `${path} in fstab` : `${path} removed from fstab`);
        if (p.changes.length) {
          fstabChanged = text !== after;
          changes.push(...p.changes.map((c) => ({ ...c, invalidates: [...c.invalidates, ...invalidates] })));
          diffs.push(...p.diffs);
          what.push(p.summary ?? `edit ${fstab}`);
        }
      }
    }

    const mounted = live.mounted;
    const mountParts = (): Shell[] => [sh`mkdir -p -- ${path}`, sh`mount -t ${args.fstype ?? ''} -o ${optsOf(args)} -- ${args.src ?? ''} ${path}`];
    const mountCmd = (): Shell => steps(...mountParts());
    const mountDiff = (before: string, after: string) => diffs.push({ label: `mount ${path}`, before, after });
    const liveText_ = (m: NonNullable<MountState['mounted']>) => `mounted ${m.src} (${m.fstype})\n`;
    const wanted = `mounted ${args.src ?? ''} (${args.fstype ?? ''})\n`;
    switch (args.state) {
      case 'mounted':
      case 'ephemeral': {
        if (!mounted) {
          changes.push({ description: `mount ${path}`, script: mountCmd(), invalidates });
          mountDiff('not mounted\n', wanted);
          what.push(`mount ${path}`);
        } else if (mounted.fstype !== args.fstype || !sameSource(mounted.src, args.src ?? '')) {
          // A remount keeps the device: another source means unmount, then mount.
          changes.push({ description: `mount ${args.src ?? ''} on ${path} again`, script: steps(sh`umount -- ${path}`, ...mountParts()), invalidates });
          mountDiff(liveText_(mounted), wanted);
          what.push(`mount ${path} again (it had ${mounted.src})`);
        } else if (fstabChanged) {
          changes.push({ description: `remount ${path}`, script: steps(sh`mount -o ${`remount,${optsOf(args)}`} -- ${path}`), invalidates });
          what.push(`remount ${path}`);
        }
        break;
      }
      case 'unmounted':
      case 'absent':
        if (mounted) {
          changes.push({ description: `unmount ${path}`, script: steps(sh`umount -- ${path}`), invalidates });
          mountDiff(liveText_(mounted), 'not mounted\n');
          what.push(`unmount ${path}`);
        }
        break;
      case 'remounted':
        if (!mounted) throw new TaskError(`${path} is not mounted: nothing to remount`, 'use state: mounted to mount it');
        // Asked for, a remount always runs: nothing on the host says whether it is owed.
        changes.push({ description: `remount ${path}`, script: steps(sh`mount -o ${args.opts ? `remount,${args.opts}` : 'remount'} -- ${path}`), invalidates });
        what.push(`remount ${path}`);
        break;
      default:
        break;
    }
    if (!changes.length) return definePlan({ summary: 'in sync' });
    return definePlan({ changes, diffs, summary: what.join('; ') });
  },
});

/**
 * Whether what is mounted is the wanted source. A device named another way (UUID=, LABEL=,
 * a /dev/disk link) cannot be compared from the fact: taken as the same, as Ansible does.
 * findmnt names a bind mount's source as DEVICE[/root].
 */
export function sameSource(live: string, want: string): boolean {
  if (want.startsWith('/dev/') || /^(UUID|LABEL|PARTUUID|PARTLABEL)=/.test(want)) return true;
  const m = /^(.*)\[(.*)\]$/.exec(live);
  return m ? m[1] === want || m[2] === want : live === want;
}
