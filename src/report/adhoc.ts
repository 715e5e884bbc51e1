// `plumb run` output, as Ansible's ad-hoc command prints it: one block per host,
//   web-01 | CHANGED | rc=0 >>        (a command: what it printed)
//   web-02 | SUCCESS => { ... }        (any other module: its result as JSON)
// with UNREACHABLE! / FAILED! / SKIPPED, diffs (--diff) before the block, and no recap.
import type { PlumbEvent } from './events.js';
import { unified } from './diff.js';

const WORD: Record<string, string> = { ok: 'SUCCESS', changed: 'CHANGED', failed: 'FAILED!', skipped: 'SKIPPED', unreachable: 'UNREACHABLE!' };

export function adhocReporter(write: (s: string) => void): (e: PlumbEvent) => void {
  let check = false;
  return (e) => {
    if (e.type === 'run') check = e.mode === 'check';
    if (e.type !== 'task') return;
    for (const d of e.diff ?? []) write(unified(d));
    const word = WORD[e.status] ?? e.status;
    if (e.output && e.status !== 'unreachable') {
      const text = `${e.output.stdout}${e.output.stderr}`;
      write(`${e.host} | ${word} | rc=${e.output.rc} >>\n${text}${text.endsWith('\n') || !text ? '' : '\n'}`);
      return;
    }
    const body: Record<string, unknown> = { changed: e.status === 'changed' };
    if (e.message) body.msg = e.message;
    if (check && e.status === 'changed') body.check_mode = true;
    if (e.status === 'unreachable') body.unreachable = true;
    if (e.status === 'failed') body.failed = true;
    write(`${e.host} | ${word} => ${JSON.stringify(body, null, 4)}\n`);
  };
}
