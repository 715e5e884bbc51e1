// The module contract. A module declares its argument schema, the facts it needs, and a
// PURE plan(args, facts) that returns the changes to make. It never touches a host:
// the executor (src/engine/executor.ts) applies plans, so check mode is "plan only" and no
// module is told whether the run is a check.
import type { Shell } from '../sh.js';
import type { Fact, FactResults } from '../facts/types.js';

export type Vars = Record<string, unknown>;

/** A before/after pair shown by --diff. Text diffs become unified diffs in the reporter. */
export interface Diff {
  /** What the diff is about: a path for files, or a label like "service nginx". */
  label: string;
  before: string;
  after: string;
}

/** One step of a plan, applied by the executor as one exec. */
export interface Change {
  /** Human summary, e.g. "write /etc/nginx/nginx.conf" or "install nginx, haproxy". */
  description: string;
  /** The shell to run. Never contains secret values: those travel on stdin. */
  script: Shell;
  /** Data for the script's stdin (file content, passwords). */
  stdin?: string | Buffer;
  /** Fact keys this change can alter ('*' for all, 'pkg:*' for a kind). */
  invalidates: readonly string[];
  /**
   * The exit code with which this change says it refused before altering anything (a failed
   * `validate`): the handlers its task notifies are then not left pending.
   */
  refusedExit?: number;
  /**
   * A read, not a change (uri GET, wait_for, a probe a later plan needs): when every change of
   * a plan is read-only, the executor runs them in check mode too and the task is ok, not changed.
   */
  readOnly?: boolean;
  /**
   * A wait on the controller instead of an exec (pause, which Ansible also runs on the
   * controller): the executor sleeps this many seconds and runs no script on the host.
   */
  controllerWaitS?: number;
  /**
   * Turns this change's exec output into registered values (uri's status and json, tempfile's
   * path), merged into the result after it ran. Host output is data: parse it, never evaluate it.
   * A parse that returns `changed: false` says the change found nothing to do once it ran (a
   * git fetch that left HEAD where it was, a query that modified no row): when every change of
   * the plan says so, the task is ok, not changed. Check mode cannot know this: it says "would".
   */
  parse?(out: { code: number; stdout: string; stderr: string }): Vars;
  /**
   * This change reboots the host (reboot): its first stdout line is the boot identity before.
   * The executor then waits until a new connection reads a different one from `bootCommand`
   * and `testCommand` succeeds, within `timeoutS`, then `postDelayS` more.
   */
  reboot?: { bootCommand: Shell; testCommand: Shell; timeoutS: number; connectTimeoutS: number; postDelayS: number };
  /**
   * A controller-side step after the exec succeeded (fetch): the file to write on the
   * controller from this change's output. The executor writes it atomically (temp file and
   * rename) at `root`/`path` and refuses a `path` that leaves `root`; an error it throws
   * (a checksum mismatch) fails the task. Only the module's arguments choose where it is
   * written: host output is the content, never the path.
   */
  local?(out: { code: number; stdout: string; stderr: string }): LocalWrite;
}

/** A file the executor writes on the controller. Relative `root`s are under the project root. */
export interface LocalWrite {
  /** The directory the file must stay inside (created if missing). */
  root: string;
  /** Relative to root; may contain subdirectories, never `..`. */
  path: string;
  content: Buffer;
}

export interface Plan {
  /** Empty means the task is ok (in sync). */
  changes: Change[];
  diffs: Diff[];
  /** One line for the report: "would install nginx", "in sync", ... */
  summary?: string;
  /** Values exposed to `register:` in addition to changed/failed/skipped. */
  result?: Vars;
  /** Module-level "skipped" (e.g. command with `creates` present). */
  skipped?: boolean;
}

/** Everything a module may consult while planning, besides facts. All of it is side-effect free. */
export interface ModuleContext {
  host: string;
  diff: boolean;
  become: boolean;
  /** The remote user plumb connects as. */
  user: string;
  vars: Vars;
  /**
   * True when an earlier change in this run was planned but not applied (check mode) and
   * could alter this fact. A module that would otherwise fail (unit not found, user missing)
   * reports "would change" instead, so check mode does not lie about install-then-configure.
   */
  mayChange(fact: Fact<unknown>): boolean;
  /**
   * The files a service reads as far as the play knows (src/engine/reads.ts), undefined when
   * it knows none. Absent outside a play (unit tests, ad-hoc runs).
   */
  serviceInputs?(unit: string): ServiceInputs | undefined;
  /** Render an EJS template (strict variables) from the templates search path. */
  renderTemplate(src: string): string;
  /** Read a controller-side file from the files/templates search path. */
  readLocal(src: string): Buffer;
  /**
   * The sha1 of a controller file that a change writes back (fetch's dest; relative paths are
   * under the project root), undefined when there is none. Absent outside a play.
   */
  localChecksum?(path: string): string | undefined;
}

/** What a service reads: written by tasks that notify its handlers, split by what applies them. */
export interface ServiceInputs {
  /** Files a restart applies (some task writing them notifies a restart handler). */
  restart: string[];
  /** Files a reload applies (every task writing them notifies only reload handlers). */
  reload: string[];
  /** That handler is notified in this run or pending from an earlier one: a restart is owed already. */
  owed: boolean;
}

/** Argument JSON schema (ajv, draft-07). Unknown keys must be rejected: additionalProperties: false. */
export type ArgSchema = Record<string, unknown>;

export interface Module<A = Vars> {
  /** The YAML key: `template:` -> "template". */
  name: string;
  schema: ArgSchema;
  /** Keys of args that hold secrets even if the variable name does not say so (e.g. "password"). */
  secretArgs?: readonly string[];
  /** Argument shorthand: `command: "ls /"` -> { cmd: "ls /" }. */
  freeForm?: string;
  /** What the task's command printed is its result (command, shell): reported with it, not only registered. */
  reportsOutput?: boolean;
  /**
   * Variables this module's result sets for the host's later tasks: its `ansible_facts`
   * (setup, service_facts, package_facts). A later task that reads one waits for it.
   */
  factNames?: readonly string[];
  facts(args: A, ctx: ModuleContext): Fact<unknown>[];
  plan(args: A, facts: FactResults, ctx: ModuleContext): Plan;
}

export function definePlan(p: Partial<Plan>): Plan {
  return { changes: [], diffs: [], ...p };
}

export function defineModule<A>(m: Module<A>): Module<A> {
  return m;
}
