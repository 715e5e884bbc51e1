// Plain line-per-result output, for CI logs and anything that is not a TTY.
import type { PlumbEvent } from './events.js';
import { unified } from './diff.js';
import { formatRecap } from './recap.js';

const MARK: Record<string, string> = { ok: 'ok', changed: 'changed', failed: 'FAILED', skipped: 'skipped', unreachable: 'UNREACHABLE' };

export function linesReporter(write: (s: string) => void, opts: { verbose: boolean; showOk: boolean }): (e: PlumbEvent) => void {
  return (e) => {
    switch (e.type) {
      case 'play':
        write(`\nPLAY ${e.play} [${e.hosts.join(', ')}]\n`);
        break;
      case 'task': {
        if (e.status === 'ok' && !opts.showOk && !opts.verbose) break;
        const mark = MARK[e.status] ?? e.status;
        const what = `${e.handler ? 'handler: ' : ''}${e.task}${e.item !== undefined ? ` (item=${e.item})` : ''}`;
        const msg = e.message && (e.status !== 'ok' || opts.verbose) ? ` - ${e.message.split('\n').join('\n    ')}` : '';
        write(`${mark.padEnd(11)} ${e.host}  ${what}${msg}\n`);
        for (const d of e.diff ?? []) write(unified(d).trimEnd().replace(/^/gm, '    ') + '\n');
        break;
      }
      case 'exec':
        if (opts.verbose) write(`  exec  ${e.host} [${e.purpose}] exit=${e.code} ${e.durationMs}ms ${e.command.split('\n')[0]?.slice(0, 100)}\n`);
        break;
      case 'recap':
        write(formatRecap(e.hosts, e.durationMs, e.notes) + '\n');
        break;
      default:
        break;
    }
  };
}
