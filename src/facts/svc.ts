// svc: a systemd unit's load, active and enablement state, from one `systemctl show`.
import { raw, script, sh } from '../sh.js';
import type { Fact, FactMerger } from './types.js';

export type ServiceState =
  /** systemctl could not talk to systemd (not booted with systemd, no bus). */
  | { kind: 'no-systemd'; message: string }
  | {
      kind: 'unit';
      /** loaded, not-found, masked, bad-setting, error... */
      load: string;
      /** active, inactive, failed, activating, deactivating, reloading */
      active: string;
      sub: string;
      /** enabled, disabled, static, masked, indirect, generated, ... ("" when unknown) */
      unitFile: string;
      /** The unit file changed on disk since systemd last loaded it. */
      needReload: boolean;
    };

const PROPS = 'LoadState,ActiveState,SubState,UnitFileState,NeedDaemonReload';

/** Key svc:<name> as written in the task (nginx and nginx.service are separate keys; both are invalidated by svc:*). */
export function serviceFact(name: string): Fact<ServiceState> {
  return {
    key: `svc:${name}`,
    // systemctl's own messages go to stderr, which the batch discards; keep them for the error.
    probe: sh`systemctl show -p ${PROPS} -- ${name} 2>&1`,
    merge: { merger: svcMerger, arg: name },
    parse(out: string, code: number): ServiceState {
      const props = new Map<string, string>();
      for (const line of out.split('\n')) {
        const eq = line.indexOf('=');
        if (eq > 0) props.set(line.slice(0, eq), line.slice(eq + 1));
      }
      const load = props.get('LoadState');
      if (code !== 0 || load === undefined) {
        return { kind: 'no-systemd', message: out.trim().split('\n')[0] || `systemctl show exited ${code}` };
      }
      return {
        kind: 'unit',
        load,
        active: props.get('ActiveState') ?? '',
        sub: props.get('SubState') ?? '',
        unitFile: props.get('UnitFileState') ?? '',
        needReload: props.get('NeedDaemonReload') === 'yes',
      };
    },
  };
}

/**
 * Every unit in one `systemctl show`, whose blocks come back in argument order, separated
 * by blank lines. If it fails (no systemd, or a name systemd rejects, which drops that
 * unit's block) each unit is asked alone, so every fact still gets its own answer.
 */
export const svcMerger: FactMerger = {
  kind: 'svc',
  probe: (units) =>
    script(
      sh`if out=$(systemctl show -p ${PROPS} -- ${units} 2>/dev/null); then printf '@all\\n%s\\n' "$out"; else`,
      sh`  for u in ${units}; do printf '@unit\\n'; systemctl show -p ${PROPS} -- "$u" 2>&1; printf '\\n@code:%d\\n' "$?"; done`,
      raw('fi'),
    ),
  split(out, _code, units) {
    if (out.startsWith('@all\n')) {
      const blocks = out.slice(5).split(/\n\n+/).map((b) => b.trim()).filter((b) => b !== '');
      if (blocks.length === units.length) return blocks.map((b) => ({ out: `${b}\n`, code: 0 }));
      return units.map(() => ({ out: `systemctl show answered ${blocks.length} units of ${units.length}`, code: 1 }));
    }
    const parts = out.split('@unit\n').slice(1);
    return units.map((_u, i) => {
      const m = /^([\s\S]*)\n@code:(\d+)\n?$/.exec(parts[i] ?? '');
      return m ? { out: m[1]!, code: Number(m[2]) } : { out: 'no answer from systemctl', code: 1 };
    });
  },
};
