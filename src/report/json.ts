// --json: NDJSON on stdout, one event per task result, then the recap. Nothing else.
import type { PlumbEvent } from './events.js';

export function jsonReporter(write: (line: string) => void, verbose: boolean): (e: PlumbEvent) => void {
  return (e) => {
    if (e.type === 'task' || e.type === 'recap' || (verbose && (e.type === 'exec' || e.type === 'play'))) write(JSON.stringify(e) + '\n');
  };
}
