// slurp: a remote file's content, base64-encoded, from the fact batch (read-only, always ok).
// Files up to 1 MiB: larger ones are what fetch is for.
import { TaskError } from '../errors.js';
import { fileFact, MAX_DIFF_BYTES } from '../facts/file.js';
import { defineModule, definePlan } from './types.js';
import { absPathSchema, has } from './common/schema.js';

export interface SlurpArgs {
  src?: string;
  path?: string;
}

const srcOf = (a: SlurpArgs) => a.src ?? a.path ?? '';

export default defineModule<SlurpArgs>({
  name: 'slurp',
  schema: {
    type: 'object',
    properties: { src: absPathSchema, path: absPathSchema },
    additionalProperties: false,
    oneOf: [has('src'), has('path')],
    errorMessage: 'slurp needs src (or its alias path), not both',
  },
  facts: (args) => [fileFact(srcOf(args), true)],
  plan(args, facts) {
    const src = srcOf(args);
    const st = facts.get(fileFact(src, true));
    if (st.kind === 'absent') throw new TaskError(`file not found: ${src}`, 'check the path');
    if (st.kind !== 'file') throw new TaskError(`source is a ${st.kind}, not a file: ${src}`);
    if (st.content === undefined)
      throw new TaskError(`${src} is larger than ${MAX_DIFF_BYTES / 1024 / 1024} MiB`, 'slurp returns small files; copy large ones with another tool');
    return definePlan({ summary: `read ${src} (${st.size} bytes)`, result: { content: st.content.toString('base64'), encoding: 'base64', source: src } });
  },
});
