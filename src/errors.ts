// The typed error family. Modules and the engine throw these; only src/cli turns them
// into exit codes and text. Every input error carries file:line:col and a hint.

export interface SourcePos {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
}

export function formatPos(p: SourcePos | undefined): string {
  return p ? `${p.file}:${p.line}:${p.col}` : '<unknown>';
}

/** One problem in the operator's input (inventory, playbook, module arguments, template, vars). */
export interface InputProblem {
  pos?: SourcePos;
  message: string;
  hint?: string;
}

export class PlumbError extends Error {
  override name = 'PlumbError';
}

/** Bad input: reported all together, before any connection is made. Exit 1. */
export class InputError extends PlumbError {
  override name = 'InputError';
  constructor(
    readonly problems: InputProblem[],
    options?: { cause?: unknown },
  ) {
    super(problems.map(formatProblem).join('\n'), options);
  }
  static one(message: string, pos?: SourcePos, hint?: string): InputError {
    return new InputError([{ message, pos, hint }]);
  }
}

export function formatProblem(p: InputProblem): string {
  const where = p.pos ? `${formatPos(p.pos)}: ` : '';
  return `${where}${p.message}${p.hint ? `\n  hint: ${p.hint}` : ''}`;
}

/** A variable used but not defined. Interpolation is strict: never rendered as empty. */
export class UndefinedVariableError extends InputError {
  override name = 'UndefinedVariableError';
  constructor(
    readonly variable: string,
    pos?: SourcePos,
    context?: string,
    more?: string,
  ) {
    super([
      {
        pos,
        message: `undefined variable '${variable}'${context ? ` in ${context}` : ''}`,
        hint: `define '${variable}' in the inventory (group_vars/host_vars), the play's vars, a role's defaults, or pass -e ${variable}=...${more ? `; ${more}` : ''}`,
      },
    ]);
  }
}

/** The host could not be reached or authenticated (includes host key refusals). */
export class UnreachableError extends PlumbError {
  override name = 'UnreachableError';
  /** Already shown as a task's UNREACHABLE result: the run does not report it again. */
  reported = false;
  constructor(
    readonly host: string,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(`${host}: ${message}${hint ? `\n  hint: ${hint}` : ''}`, options);
  }
}

/** The shape of a command result, shared by success and failure (as execa does). */
export interface CommandResult {
  command: string; // short description, never the secret-bearing stdin
  code: number;
  stdout: string;
  stderr: string;
}

/** A remote command exited non-zero where success was required. */
export class CommandError extends PlumbError implements CommandResult {
  override name = 'CommandError';
  readonly command: string;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  constructor(
    result: CommandResult,
    readonly shortMessage?: string,
  ) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-6).join('\n');
    super(`${shortMessage ?? `command failed: ${result.command}`} (exit ${result.code})${tail ? `\n${tail}` : ''}`);
    this.command = result.command;
    this.code = result.code;
    this.stdout = result.stdout;
    this.stderr = result.stderr;
  }
}

/** A module refused to plan (for example a unit that does not exist). The task fails; the run goes on. */
export class TaskError extends PlumbError {
  override name = 'TaskError';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(hint ? `${message}\n  hint: ${hint}` : message);
  }
}

/** A command ran past its time limit (the task's `timeout`, or the run's default). The task fails; the host goes on. */
export class CommandTimeout extends TaskError {
  override name = 'CommandTimeout';
  constructor(
    readonly seconds: number,
    stopped: boolean,
  ) {
    super(
      `timed out after ${seconds} s${stopped ? ' (the command was stopped on the host)' : ' (no answer from the host; the command may still be running there)'}`,
      "raise the task's `timeout:` (seconds, 0 for none), or the default with --command-timeout or plumb_command_timeout",
    );
  }
}

/** A bug in plumb itself. */
export class InternalError extends PlumbError {
  override name = 'InternalError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`internal error: ${message} (this is a bug in plumb, please report it)`, options);
  }
}
