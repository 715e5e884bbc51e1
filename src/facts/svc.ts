// svc: a systemd unit's load, active and enablement state, from one `systemctl show`.
import { sh } from '../sh.js';
import type { Fact } from './types.js';

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
