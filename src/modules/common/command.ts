// Shared by command and shell: the idempotence guards (creates, removes, unless), the
// working directory, and environment variables that travel on stdin — never on the
// command line, where `ps` would show a password.
import { raw, script, sh, type Shell } from '../../sh.js';
import { probeFact } from '../../facts/cmd.js';
import { pathExistsFact } from '../../facts/file.js';
import type { Fact, FactResults } from '../../facts/types.js';
import { definePlan, type Plan } from '../types.js';
import { absPathSchema } from './schema.js';

export interface GuardArgs {
  chdir?: string;
  /** Skip when this path exists. */
  creates?: string;
  /** Skip unless this path exists. */
  removes?: string;
  /** Read-only shell probe, run with the facts: exit 0 means "already done". */
  unless?: string;
  stdin?: string;
  environment?: Record<string, string>;
}

export const guardSchema = {
  chdir: absPathSchema,
  creates: absPathSchema,
  removes: absPathSchema,
  unless: { type: 'string', minLength: 1 },
  stdin: { type: 'string' },
  environment: {
    type: 'object',
    propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    additionalProperties: { type: 'string', errorMessage: 'environment values must be strings (quote numbers)' },
  },
} as const;

export function guardFacts(args: GuardArgs): Fact<unknown>[] {
  return [
    args.creates !== undefined ? pathExistsFact(args.creates) : null,
    args.removes !== undefined ? pathExistsFact(args.removes) : null,
    args.unless !== undefined ? probeFact(args.unless, args.chdir) : null,
  ].filter((f): f is Fact<boolean> => f !== null);
}

/** A plan that does nothing when a guard says the work is done; null when the command must run. */
export function guardPlan(args: GuardArgs, facts: FactResults): Plan | null {
  if (args.creates !== undefined && facts.get(pathExistsFact(args.creates))) {
    return definePlan({ skipped: true, summary: `skipped: ${args.creates} exists` });
  }
  if (args.removes !== undefined && !facts.get(pathExistsFact(args.removes))) {
    return definePlan({ skipped: true, summary: `skipped: ${args.removes} does not exist` });
  }
  if (args.unless !== undefined && facts.get(probeFact(args.unless, args.chdir))) {
    return definePlan({ summary: 'unless succeeded: nothing to do' });
  }
  return null;
}

// Reads NAME=base64(value) lines up to an empty line. dash and bash read a pipe byte by
// byte, so whatever follows the empty line is left for the command's own stdin.
const READ_ENV = raw(`while IFS= read -r __plumb_kv && [ -n "$__plumb_kv" ]; do
  __plumb_v=$(printf '%s' "\${__plumb_kv#*=}" | base64 -d; echo x)
  export "\${__plumb_kv%%=*}=\${__plumb_v%x}"
done
unset __plumb_kv __plumb_v`);

/** The script around the command proper, and the stdin that goes with it. */
export function wrapCommand(args: GuardArgs, command: Shell): { script: Shell; stdin?: string } {
  const env = Object.entries(args.environment ?? {});
  const stdin = env.length ? env.map(([k, v]) => `${k}=${Buffer.from(v, 'utf8').toString('base64')}\n`).join('') + '\n' + (args.stdin ?? '') : args.stdin;
  return {
    script: script(env.length ? READ_ENV : null, args.chdir !== undefined ? sh`cd -- ${args.chdir} || exit 125` : null, command),
    ...(stdin !== undefined ? { stdin } : {}),
  };
}

export function shortCommand(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 80 ? `${one.slice(0, 77)}...` : one;
}
