// Shared by every integration test that needs real hosts: bring the lab up if it is not
// running (reusing it, in about a second, if it is), and give hosts a fresh disk on demand.
// Progress goes to stderr so a cold CI run shows why the first test takes a minute or two.
import { labUp, labReset, type LabStatus } from '../../src/lab/index.js';

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

/** The HA lab (lb-01, lb-02, web-01, web-02; `lab up --ha`), up and answering ssh. */
export function ensureHaLab(): Promise<LabStatus> {
  return labUp({ ha: true }, progress);
}
