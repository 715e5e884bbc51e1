// Shared by every integration test that needs real hosts: bring the lab up if it is not
// running (reusing it, in about a second, if it is), and give hosts a fresh disk on demand.
// Progress goes to stderr so a cold CI run shows why the first test takes a minute or two.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { labUp, labReset, sshArgs, type LabHost, type LabStatus } from '../../src/lab/index.js';
import { LAB_NET, hostSpec } from '../../src/lab/paths.js';

const progress = (msg: string): void => {
  process.stderr.write(`      [lab] ${msg}\n`);
};

/** The 3-host lab (lb-01, web-01, web-02), up and answering ssh, without added latency. */
export function ensureLab(): Promise<LabStatus> {
  return labUp({}, progress);
}

/** Fresh disks for these hosts (same host keys and addresses): stop, wipe, boot, wait for ssh. */
export async function resetHosts(names: readonly string[]): Promise<void> {
  await labReset([...names], progress);
}

const CLI = path.resolve(import.meta.dirname, '../../src/cli/main.js');

/** Run the built CLI; output is stdout then stderr. */
export function plumbCli(args: string[]): { code: number; out: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, out: `${r.stdout}\n${r.stderr}` };
}

/** One command on a lab host over ssh, as the lab's key and known_hosts allow. */
export function onLabHost(lab: LabStatus, h: LabHost, cmd: string): { code: number; out: string } {
  const [ssh, ...rest] = sshArgs({ host: h.sshHost, port: h.port, knownHosts: lab.knownHosts });
  const r = spawnSync(ssh!, [...rest, '--', cmd], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout };
}

/** The HA lab (lb-01, lb-02, web-01, web-02; `lab up --ha`), up and answering ssh. */
export function ensureHaLab(): Promise<LabStatus> {
  return labUp({ ha: true }, progress);
}

/**
 * A lab host dies as a machine dies (/work/shared/LAB.md): its PID 1 (the systemd under
 * nspawn) SIGKILLed, which ends every process in it, and its veth down. `lab up` brings it
 * back on the same disk; `hostLink(name, 'up')` first.
 */
export function killHost(name: string): void {
  const state = JSON.parse(readFileSync(path.join(LAB_NET.dir, 'state.json'), 'utf8')) as { hosts: { name: string; proc?: { pid: number } }[] };
  const launcherPid = state.hosts.find((h) => h.name === name)?.proc?.pid;
  if (!launcherPid) throw new Error(`no running lab host ${name}`);
  const child = (pid: number): number =>
    Number(
      spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n')[0],
    );
  // The launcher shell (src/lab/nspawn.ts) runs nspawn, whose child is the host's PID 1.
  const nspawnPid = child(launcherPid);
  const pid1 = nspawnPid > 1 ? child(nspawnPid) : 0;
  if (!(pid1 > 1)) throw new Error(`no PID 1 under nspawn ${nspawnPid} for ${name}`);
  process.kill(pid1, 'SIGKILL');
  hostLink(name, 'down');
}

/** A lab host's link to the bridge, down (a cut cable) or up. */
export function hostLink(name: string, state: 'up' | 'down'): void {
  spawnSync('ip', ['link', 'set', hostSpec(LAB_NET, name, '', '').veth, state]);
}
