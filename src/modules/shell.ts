// shell: run a command line through /bin/sh (or `executable`), with pipes, redirections
// and variables. Idempotent only through creates, removes or unless.
import { sh } from '../sh.js';
import { defineModule, definePlan, type Plan } from './types.js';
import { guardFacts, guardPlan, guardSchema, shortCommand, wrapCommand, type GuardArgs } from './common/command.js';

export interface ShellArgs extends GuardArgs {
  cmd: string;
  executable?: string;
}

export default defineModule<ShellArgs>({
  name: 'shell',
  freeForm: 'cmd',
  reportsOutput: true,
  schema: {
    type: 'object',
    properties: {
      cmd: { type: 'string', minLength: 1 },
      executable: { type: 'string', pattern: '^/', errorMessage: 'executable must be an absolute path such as /bin/bash' },
      ...guardSchema,
    },
    required: ['cmd'],
    additionalProperties: false,
  },
  facts: (args) => guardFacts(args),
  plan(args, facts): Plan {
    const guarded = guardPlan(args, facts);
    if (guarded) return guarded;
    const display = shortCommand(args.cmd);
    // The operator's command line is passed as ONE quoted argument to its own shell.
    const { script, stdin } = wrapCommand(args, sh`exec ${args.executable ?? '/bin/sh'} -c ${args.cmd}`);
    return definePlan({
      changes: [{ description: `run ${display}`, script, ...(stdin !== undefined ? { stdin } : {}), invalidates: ['*'] }],
      summary: `run ${display}`,
      result: { cmd: args.cmd },
    });
  },
});
