// command: run a program WITHOUT a shell. `cmd` is split into words the way a shell would
// split plain words and quotes, but pipes, redirections, globs and $expansions are refused
// rather than passed on as literal arguments: use `shell:` for those. `argv` skips the
// splitting. Idempotent only through creates, removes or unless.
import { sh } from '../sh.js';
import { TaskError } from '../errors.js';
import { has } from './common/schema.js';
import { defineModule, definePlan, type Plan } from './types.js';
import { guardFacts, guardPlan, guardSchema, shortCommand, wrapCommand, type GuardArgs } from './common/command.js';

export interface CommandArgs extends GuardArgs {
  cmd?: string;
  argv?: string[];
}

/**
 * Split a command line into words: whitespace separates, '...' is literal, "..." is literal
 * but for \" \\ \$ \`, and \x outside quotes is x. Unquoted shell syntax throws.
 */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  const refuse = (what: string): never => {
    throw new TaskError(
      `command does not use a shell, so ${what} in "${shortCommand(line)}" would be passed as a literal argument`,
      'use shell: for pipes, redirections, globs and variables, or quote the character',
    );
  };
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new TaskError(`unterminated ' in command: ${shortCommand(line)}`);
      word += line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line.charAt(j) !== '"'; j++) {
        const d = line.charAt(j);
        if (d === '\\' && '"\\$`'.includes(line.charAt(j + 1)) && j + 1 < line.length) {
          word += line.charAt(j + 1);
          j++;
        } else word += d;
      }
      if (j >= line.length) throw new TaskError(`unterminated " in command: ${shortCommand(line)}`);
      i = j;
    } else if (c === '\\') {
      if (i + 1 < line.length) word += line.charAt(++i);
    } else if ('|&;<>()`'.includes(c)) {
      refuse(`'${c}'`);
    } else if (c === '$' && /[A-Za-z_{(]/.test(line.charAt(i + 1))) {
      refuse('a $ expansion');
    } else if (c === '*' || c === '?' || (c === '~' && word === '')) {
      refuse(`'${c}'`);
    } else word += c;
  }
  if (inWord) words.push(word);
  return words;
}

export default defineModule<CommandArgs>({
  name: 'command',
  freeForm: 'cmd',
  reportsOutput: true,
  schema: {
    type: 'object',
    properties: {
      cmd: { type: 'string', minLength: 1 },
      argv: { type: 'array', items: { type: 'string' }, minItems: 1 },
      ...guardSchema,
    },
    oneOf: [has('cmd'), has('argv')],
    additionalProperties: false,
    errorMessage: 'command needs exactly one of cmd (a command line) or argv (a list of words)',
  },
  facts: (args) => guardFacts(args),
  plan(args, facts): Plan {
    const argv = args.argv ?? splitCommand(args.cmd ?? '');
    if (argv.length === 0) throw new TaskError('command is empty');
    const guarded = guardPlan(args, facts);
    if (guarded) return guarded;
    const display = shortCommand(args.cmd ?? argv.join(' '));
    const { script, stdin } = wrapCommand(args, sh`exec ${argv}`);
    return definePlan({
      changes: [{ description: `run ${display}`, script, ...(stdin !== undefined ? { stdin } : {}), invalidates: ['*'] }],
      summary: `run ${display}`,
      result: { cmd: argv },
    });
  },
});
