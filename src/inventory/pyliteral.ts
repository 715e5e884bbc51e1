// Ansible's INI typing: a value is read with Python's ast.literal_eval, and kept as the
// plain string when that fails. This is the subset literal_eval accepts that can appear in
// an inventory: numbers, True/False/None, quoted strings, lists, tuples, dicts and sets.
// Comments after a literal are Python comments (`x=5 # five` is 5), as in Ansible.

class NotLiteral extends Error {}

/** The value Ansible's INI plugin gives `text`. */
export function iniValue(text: string): unknown {
  try {
    const p = new Parser(text.replace(/^[ \t]+/, ''));
    const v = p.expr();
    p.end();
    return v;
  } catch (e) {
    if (e instanceof NotLiteral) return text;
    throw e;
  }
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  private ws(): void {
    for (;;) {
      const c = this.s[this.i];
      if (c === ' ' || c === '\t' || c === '\f') this.i++;
      else if (c === '\\' && this.s[this.i + 1] === '\n') this.i += 2;
      else return;
    }
  }

  /** Inside brackets Python also skips newlines and comments. */
  private wsIn(): void {
    for (;;) {
      this.ws();
      const c = this.s[this.i];
      if (c === '\n' || c === '\r') this.i++;
      else if (c === '#') while (this.i < this.s.length && this.s[this.i] !== '\n') this.i++;
      else return;
    }
  }

  end(): void {
    this.ws();
    if (this.s[this.i] === '#') this.i = this.s.length;
    while (this.s[this.i] === '\n' || this.s[this.i] === '\r') this.i++;
    if (this.i !== this.s.length) throw new NotLiteral();
  }

  expr(nested = false): unknown {
    nested ? this.wsIn() : this.ws();
    const c = this.s[this.i];
    if (c === undefined) throw new NotLiteral();
    if (c === '[') return this.seq(']', nested);
    if (c === '(') {
      this.i++;
      this.wsIn();
      if (this.s[this.i] === ')') {
        this.i++;
        return [];
      }
      const first = this.expr(true);
      this.wsIn();
      if (this.s[this.i] === ')') {
        this.i++;
        return first; // (x) is x; only (x,) is a tuple
      }
      if (this.s[this.i] !== ',') throw new NotLiteral();
      this.i++;
      return [first, ...this.items(')')];
    }
    if (c === '{') return this.dictOrSet();
    if (c === '-' || c === '+') {
      this.i++;
      this.ws();
      const n = this.number();
      return c === '-' ? -n : n;
    }
    if (/[0-9.]/.test(c)) return this.number();
    const quote = /^([rRbBuU]|[rR][bB]|[bB][rR])?(['"])/.exec(this.s.slice(this.i));
    if (quote) {
      let out = this.string();
      // 'a' 'b' is 'ab', as in Python
      for (;;) {
        const save = this.i;
        nested ? this.wsIn() : this.ws();
        if (/^([rRbBuU]|[rR][bB]|[bB][rR])?['"]/.test(this.s.slice(this.i))) out += this.string();
        else {
          this.i = save;
          return out;
        }
      }
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i))?.[0];
    if (word === 'True' || word === 'False' || word === 'None') {
      this.i += word.length;
      return word === 'True' ? true : word === 'False' ? false : null;
    }
    throw new NotLiteral();
  }

  private items(close: string): unknown[] {
    const out: unknown[] = [];
    for (;;) {
      this.wsIn();
      if (this.s[this.i] === close) {
        this.i++;
        return out;
      }
      out.push(this.expr(true));
      this.wsIn();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== close) throw new NotLiteral();
    }
  }

  private seq(close: string, _nested: boolean): unknown[] {
    this.i++;
    return this.items(close);
  }

  private dictOrSet(): unknown {
    this.i++;
    this.wsIn();
    if (this.s[this.i] === '}') {
      this.i++;
      return {};
    }
    const k = this.expr(true);
    this.wsIn();
    if (this.s[this.i] !== ':') {
      // a set: Ansible's JSON shows it as a list
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') throw new NotLiteral();
      return [...new Set([k, ...this.items('}')])];
    }
    const out: Record<string, unknown> = {};
    let key = k;
    for (;;) {
      this.i++; // ':'
      const v = this.expr(true);
      if (key !== null && typeof key === 'object') throw new NotLiteral(); // unhashable
      out[key === true ? 'True' : key === false ? 'False' : key === null ? 'None' : String(key)] = v;
      this.wsIn();
      if (this.s[this.i] === ',') this.i++;
      this.wsIn();
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      key = this.expr(true);
      this.wsIn();
      if (this.s[this.i] !== ':') throw new NotLiteral();
    }
  }

  private number(): number {
    const rest = this.s.slice(this.i);
    const m =
      /^0[xX](?:_?[0-9a-fA-F])+|^0[oO](?:_?[0-7])+|^0[bB](?:_?[01])+/.exec(rest) ??
      /^(?:(?:[0-9](?:_?[0-9])*)?\.[0-9](?:_?[0-9])*|[0-9](?:_?[0-9])*\.?)(?:[eE][+-]?[0-9](?:_?[0-9])*)?/.exec(rest);
    if (!m || m[0] === '.') throw new NotLiteral();
    const t = m[0].replace(/_/g, '');
    this.i += m[0].length;
    if (/[jJ]/.test(this.s[this.i] ?? '') || /[A-Za-z_]/.test(this.s[this.i] ?? '')) throw new NotLiteral();
    if (/^0[xX]/.test(t)) return parseInt(t.slice(2), 16);
    if (/^0[oO]/.test(t)) return parseInt(t.slice(2), 8);
    if (/^0[bB]/.test(t)) return parseInt(t.slice(2), 2);
    // Python 3 refuses 010 (a leading zero on a non-zero decimal integer)
    if (/^0\d*$/.test(t) && /[1-9]/.test(t)) throw new NotLiteral();
    return Number(t);
  }

  private string(): string {
    const pre = /^([rRbBuU]|[rR][bB]|[bB][rR])?/.exec(this.s.slice(this.i))![0];
    this.i += pre.length;
    const raw = /r/i.test(pre);
    const q = this.s[this.i]!;
    const triple = this.s.startsWith(q.repeat(3), this.i);
    const delim = triple ? q.repeat(3) : q;
    this.i += delim.length;
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) throw new NotLiteral();
      if (this.s.startsWith(delim, this.i)) {
        this.i += delim.length;
        return out;
      }
      const c = this.s[this.i]!;
      if (!triple && c === '\n') throw new NotLiteral();
      if (c === '\\') {
        const n = this.s[this.i + 1];
        if (n === undefined) throw new NotLiteral();
        if (raw) {
          out += c + n;
          this.i += 2;
          continue;
        }
        this.i += 2;
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };
        if (n in simple) out += simple[n];
        else if (n === 'x' || n === 'u' || n === 'U') {
          const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
          const hex = this.s.slice(this.i, this.i + len);
          if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw new NotLiteral();
          out += String.fromCodePoint(parseInt(hex, 16));
          this.i += len;
        } else if (/[0-7]/.test(n)) {
          const oct = /^[0-7]{1,3}/.exec(this.s.slice(this.i - 1))![0];
          out += String.fromCodePoint(parseInt(oct, 8));
          this.i += oct.length - 1;
        } else out += '\\' + n;
        continue;
      }
      out += c;
      this.i++;
    }
  }
}
