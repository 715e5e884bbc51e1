// One host's session for the whole run: its connection, its variables and registered
// results, its fact cache, and the one place a script becomes a remote command line.
import { CommandError, InternalError, TaskError } from '../errors.js';
import { buildBatch, newNonce, parseBatch } from '../facts/batch.js';
import { invalidates, type Fact, type FactResults } from '../facts/types.js';
import type { Host } from '../inventory/load.js';
import type { Vars } from '../modules/types.js';
import type { Emit, HostRecap } from '../report/events.js';
import type { Redactor } from '../report/redact.js';
import { quote, type Shell } from '../sh.js';
import type { ExecResult, Transport } from '../ssh/transport.js';

/** The remote command line for a script: never holds secrets (the guard below enforces it). */
export function commandLine(script: Shell, become: boolean, user: string): string {
  const body = quote(`LC_ALL=C; export LC_ALL\n${script.text}`);
  return become && user !== 'root' ? `sudo -n -- /bin/sh -c ${body}` : `/bin/sh -c ${body}`;
}

export class HostSession {
  readonly registered: Vars = {};
  readonly recap: HostRecap = { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: false, execs: 0, durationMs: 0 };
  failed = false;
  private readonly facts = new Map<string, unknown>();
  private readonly stale = new Set<string>();
  /** Check mode: invalidations of changes that were planned but not applied. */
  private readonly unapplied: string[] = [];

  constructor(
    readonly host: Host,
    readonly transport: Transport,
    readonly user: string,
    readonly redactor: Redactor,
    readonly emit: Emit,
  ) {}

  async run(script: Shell, become: boolean, purpose: 'facts' | 'change' | 'handlers', stdin?: string | Buffer, noLog = false): Promise<ExecResult> {
    const command = commandLine(script, become, this.user);
    if (this.redactor.has(command)) {
      // Secrets travel on stdin, never argv: argv is visible in `ps` on the host.
      throw new TaskError(
        'refusing to run: the command line would contain a secret value, and command lines are visible in `ps` on the host',
        'pass the secret on stdin (`stdin:`) or in `environment:` (both travel on stdin), or use a module that takes it as an argument',
      );
    }
    const started = Date.now();
    const result = await this.transport.exec(command, stdin);
    this.recap.execs = this.transport.execCount;
    this.emit({
      type: 'exec',
      host: this.host.name,
      purpose,
      command: noLog ? '<hidden by no_log>' : this.redactor.redact(script.text.length > 400 ? `${script.text.slice(0, 400)}…` : script.text),
      code: result.code,
      durationMs: Date.now() - started,
    });
    return result;
  }

  /** Facts this session still needs: not cached, or invalidated by an applied change. */
  missing(facts: readonly Fact<unknown>[]): Fact<unknown>[] {
    const seen = new Set<string>();
    return facts.filter((f) => {
      if (seen.has(f.key)) return false;
      seen.add(f.key);
      return !this.facts.has(f.key) || this.stale.has(f.key);
    });
  }

  /** Gather facts in ONE exec (no exec at all when nothing is missing). */
  async gather(facts: readonly Fact<unknown>[], become: boolean): Promise<void> {
    const need = this.missing(facts);
    if (!need.length) return;
    const nonce = newNonce();
    const res = await this.run(buildBatch(need, nonce), become, 'facts');
    if (res.code !== 0 && !res.stdout.includes(`@@plumb:${nonce}:`)) {
      throw new CommandError({ command: 'gather facts', code: res.code, stdout: res.stdout, stderr: res.stderr }, become ? 'fact gathering failed (is passwordless sudo allowed?)' : 'fact gathering failed');
    }
    const raw = parseBatch(res.stdout, need, nonce);
    need.forEach((f, i) => {
      const r = raw[i]!;
      this.facts.set(f.key, f.parse(r.out, r.code));
      this.stale.delete(f.key);
    });
  }

  /** A fact's value known without probing (derived from other facts, or check mode's assumption of what an unapplied change did). */
  assume<T>(fact: Fact<T>, value: T): void {
    this.facts.set(fact.key, value);
    this.stale.delete(fact.key);
  }

  /** A fact's cached value, or undefined when it was never gathered. */
  peek<T>(fact: Fact<T>): T | undefined {
    return this.facts.get(fact.key) as T | undefined;
  }

  view(): FactResults {
    return {
      get: <T>(fact: Fact<T>): T => {
        if (!this.facts.has(fact.key)) throw new InternalError(`fact ${fact.key} was planned on but never gathered`);
        return this.facts.get(fact.key) as T;
      },
    };
  }

  /** After an applied change: its facts must be probed again before anyone plans on them. */
  invalidate(patterns: readonly string[]): void {
    for (const key of this.facts.keys()) if (invalidates(patterns, key)) this.stale.add(key);
  }

  /** Check mode: remember what a planned-but-unapplied change could have altered. */
  wouldInvalidate(patterns: readonly string[]): void {
    this.unapplied.push(...patterns);
  }

  mayChange(fact: Fact<unknown>): boolean {
    return invalidates(this.unapplied, fact.key);
  }
}
