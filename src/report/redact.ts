// The one place secrets are masked. Everything the engine emits passes through a Redactor
// built from every secret value known to the run (inventory, extra vars, secret module args).
import { makeRedactor, REDACTED } from '../inventory/secrets.js';

export class Redactor {
  private values = new Set<string>();
  private fn: (s: string) => string = (s) => s;

  add(values: Iterable<string>): void {
    let grew = false;
    for (const v of values) {
      if (v.length >= 3 && !this.values.has(v)) {
        this.values.add(v);
        grew = true;
      }
    }
    if (grew) this.fn = makeRedactor(this.values);
  }

  has(text: string): boolean {
    for (const v of this.values) if (text.includes(v)) return true;
    return false;
  }

  redact(text: string): string {
    return this.fn(text);
  }

  /** Deep-redact a JSON-able value. */
  redactDeep<T>(v: T): T {
    if (typeof v === 'string') return this.redact(v) as T;
    if (Array.isArray(v)) return v.map((x) => this.redactDeep(x)) as T;
    if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.redactDeep(x)])) as T;
    }
    return v;
  }
}

export { REDACTED };
