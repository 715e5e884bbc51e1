// tempfile: a new temporary file or directory, its path registered as `path`. It creates
// something every run, so it is changed every run, as in Ansible; in check mode it would.
import { sh } from '../sh.js';
import { defineModule, definePlan } from './types.js';
import { absPathSchema } from './common/schema.js';
import { PROBES } from './common/put-file.js';

export interface TempfileArgs {
  state?: 'file' | 'directory';
  path?: string;
  prefix?: string;
  suffix?: string;
}

export default defineModule<TempfileArgs>({
  name: 'tempfile',
  schema: {
    type: 'object',
    properties: {
      state: { enum: ['file', 'directory'] },
      path: absPathSchema,
      prefix: { type: 'string', pattern: '^[^/\\n]*$', errorMessage: 'prefix is part of a file name (no /)' },
      suffix: { type: 'string', pattern: '^[^/\\n]*$', errorMessage: 'suffix is part of a file name (no /)' },
    },
    additionalProperties: false,
  },
  facts: () => [],
  plan(args) {
    const dir = (args.state ?? 'file') === 'directory';
    const template = `${args.prefix ?? 'ansible.'}XXXXXXXX`;
    const where = args.path !== undefined ? sh`--tmpdir=${args.path}` : sh`--tmpdir`;
    const what = dir ? 'directory' : 'file';
    return definePlan({
      changes: [
        {
          description: `create a temporary ${what}`,
          script: sh`mktemp ${dir ? ['-d'] : []} ${where} --suffix=${args.suffix ?? ''} -- ${template}`,
          invalidates: [PROBES],
          parse: (out) => ({ path: out.stdout.trim() }),
        },
      ],
      summary: `create a temporary ${what}`,
    });
  },
});
