// modprobe: a kernel module loaded (with params) or not, and with persistent: present its
// /etc/modules-load.d/<name>.conf (and /etc/modprobe.d/<name>.conf for params).
import { raw, sh, type Shell } from '../sh.js';
import { kmodFact } from '../facts/sys.js';
import { defineModule, definePlan } from './types.js';
import { steps } from './common/steps.js';

export interface ModprobeArgs {
  name: string;
  state?: 'present' | 'absent';
  params?: string;
  persistent?: 'present' | 'absent' | 'disabled';
}

/** DIR/NAME.conf written whole and atomically (a temp file beside it, then mv); DIR made if missing (no kmod: no /etc/modprobe.d). */
function writeConf(dir: string, name: string, content: string): Shell[] {
  // One command per line: the script runs under set -e, which an && chain would defeat.
  return [
    sh`install -d ${dir}`,
    sh`tmp=$(mktemp ${`${dir}/.plumb.XXXXXX`})`,
    sh`printf '%s' ${content} > "$tmp"`,
    raw('chmod 0644 "$tmp"'),
    sh`mv -f "$tmp" ${`${dir}/${name}.conf`}`,
  ];
}

export default defineModule<ModprobeArgs>({
  name: 'modprobe',
  schema: {
    type: 'object',
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', errorMessage: 'name is a kernel module name' },
      state: { enum: ['present', 'absent'] },
      params: { type: 'string', pattern: '^[^\\n]*$' },
      persistent: { enum: ['present', 'absent', 'disabled'] },
    },
    required: ['name'],
    additionalProperties: false,
  },
  facts: (args) => [kmodFact(args.name)],
  plan(args, facts) {
    const st = facts.get(kmodFact(args.name));
    const present = (args.state ?? 'present') === 'present';
    const persist = args.persistent ?? 'disabled';
    const cmds: Shell[] = [];
    const what: string[] = [];
    const before: string[] = [];
    const after: string[] = [];
    if (st.loaded !== present) {
      cmds.push(present ? sh`modprobe ${args.name} ${args.params ? args.params.split(/\s+/) : []}` : sh`modprobe -r ${args.name}`);
      what.push(`${present ? 'load' : 'unload'} ${args.name}`);
      before.push(`loaded=${String(st.loaded)}\n`);
      after.push(`loaded=${String(present)}\n`);
    }
    const load = `${args.name}\n`;
    const opts = args.params ? `options ${args.name} ${args.params}\n` : '';
    // Params dropped from the task: its options lines stop applying (commented out, as
    // Ansible does; the file goes only when they are all it holds: softdep or blacklist
    // lines beside them are the operator's).
    const confLines = st.options.split('\n');
    const optionLines = confLines.filter((l) => l.startsWith(`options ${args.name} `));
    if (persist === 'present' && (st.persist !== load || (opts ? st.options !== opts : optionLines.length > 0))) {
      cmds.push(...writeConf('/etc/modules-load.d', args.name, load));
      const conf = `/etc/modprobe.d/${args.name}.conf`;
      if (opts) cmds.push(...writeConf('/etc/modprobe.d', args.name, opts));
      else if (optionLines.length && confLines.every((l) => l === '' || optionLines.includes(l))) cmds.push(sh`rm -f ${conf}`);
      else if (optionLines.length) cmds.push(sh`sed -i ${`s/^options ${args.name} /# &/`} ${conf}`);
      what.push(`persist ${args.name}`);
      before.push(`modules-load.d=${st.persist.trim()}\n`);
      after.push(`modules-load.d=${args.name}\n`);
    } else if (persist === 'absent' && (st.persist || st.options)) {
      cmds.push(sh`rm -f ${`/etc/modules-load.d/${args.name}.conf`} ${`/etc/modprobe.d/${args.name}.conf`}`);
      what.push(`unpersist ${args.name}`);
      before.push(`modules-load.d=${st.persist.trim()}\n`);
      after.push('modules-load.d=\n');
    }
    if (!cmds.length) return definePlan({ summary: `${args.name} in the wanted state` });
    return definePlan({
      changes: [{ description: what.join(', '), script: steps(...cmds), invalidates: [`sys:kmod:${args.name}`, 'cmd:*'] }],
      diffs: [{ label: `kernel module ${args.name}`, before: before.join(''), after: after.join('') }],
      summary: what.join(', '),
    });
  },
});
