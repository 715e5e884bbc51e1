// Shared by every integration test that needs real hosts: bring the lab up if it is not
// running (reusing it, in about a second, if it is), and give hosts a fresh disk on demand.
// Progress goes to stderr so a cold CI run shows why the first test takes a minute or two.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { labUp, labReset, sshArgs, type LabHost, type LabStatus } from '../../src/lab/index.js';

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

const CLI = resolve(import.meta.dirname, '../../src/cli/main.js');

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
