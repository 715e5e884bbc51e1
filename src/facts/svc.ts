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
      /** The main process (0: none). */
      mainPid: number;
    };

const PROPS = 'LoadState,ActiveState,SubState,UnitFileState,NeedDaemonReload,MainPID';

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
        mainPid: Number(props.get('MainPID') ?? 0) || 0,
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
      const blocks = out
        .slice(5)
        .split(/\n\n+/)
        .map((b) => b.trim())
        .filter((b) => b !== '');
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

// ---------------------------------------------------------------------------------------
// When did a service's processes start, and when were the files it reads last written? A
// process that started before its configuration was written runs an older one.

/** Every process of the host: parent and start time (epoch, hundredths of a second). */
export type ProcessTable = Map<number, { ppid: number; start: number }>;

/**
 * One pass over /proc with the shell's own `read` (no process per entry). Start times are
 * clock ticks since boot (USER_HZ, 100 on every Linux architecture Debian ships) plus btime.
 */
export const processTableFact: Fact<ProcessTable> = {
  key: 'proc:starts',
  probe: script(
    raw('bt=; while read -r k v; do if [ "$k" = btime ]; then bt=$v; break; fi; done < /proc/stat'),
    raw(
      'for f in /proc/[0-9]*/stat; do { read -r l < "$f"; } 2>/dev/null || continue; r=${l##*) }; set -- $r; p=${f%/stat}; echo "${p#/proc/} $2 $((bt * 100 + ${20}))"; done',
    ),
  ),
  parse(out: string): ProcessTable {
    const t: ProcessTable = new Map();
    for (const line of out.split('\n')) {
      const [pid, ppid, start] = line.split(' ').map(Number);
      if (pid && ppid !== undefined && start !== undefined && Number.isFinite(start)) t.set(pid, { ppid, start });
    }
    return t;
  },
};

/** When the process holding a service's configuration started: the main one, or (`workers`) its youngest child. */
export function configLoadedAt(table: ProcessTable, mainPid: number, workers: boolean): number | undefined {
  const main = table.get(mainPid);
  if (!main) return undefined;
  return workers ? (workersStartedAt(table, mainPid) ?? main.start) : main.start;
}

/** When the main process's youngest child started (undefined when it has none). */
export function workersStartedAt(table: ProcessTable, mainPid: number): number | undefined {
  let youngest: number | undefined;
  for (const p of table.values()) if (p.ppid === mainPid && (youngest === undefined || p.start > youngest)) youngest = p.start;
  return youngest;
}

/** A path's mtime (epoch, hundredths of a second; undefined when nothing is there). Merged: one `stat` for all. */
export function mtimeFact(path: string): Fact<number | undefined> {
  return {
    key: `file:${path}#mtime`,
    probe: sh`stat -c '%.2Y' -- ${path} 2>/dev/null || true`,
    ...(path.startsWith('/') ? { merge: { merger: mtimeMerger, arg: path } } : {}),
    parse: (out: string): number | undefined => {
      const v = out.trim();
      return /^\d+(\.\d+)?$/.test(v) ? Math.round(Number(v) * 100) : undefined;
    },
  };
}

export const mtimeMerger: FactMerger = {
  kind: 'mtime',
  // NUL after each name: any path survives; a missing one is simply absent from the output.
  probe: (paths) => sh`stat --printf='%n\\0%.2Y\\0' -- ${paths} 2>/dev/null || true`,
  split(out, _code, paths) {
    const t = out.split('\0');
    const m = new Map<string, string>();
    for (let i = 0; i + 1 < t.length; i += 2) m.set(t[i]!, t[i + 1]!);
    return paths.map((p) => ({ out: m.get(p) ?? '', code: 0 }));
  },
};
