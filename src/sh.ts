// Shell commands are data. Every interpolated value is quoted here and only here,
// so no module ever concatenates a shell string by hand.

/** A fragment of shell that is already safe to splice into a larger script. */
export class Shell {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** POSIX single-quote a value: the result is one shell word whatever the input. */
export function quote(value: string | number): string {
  const s = String(value);
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

type Interp = string | number | Shell | readonly (string | number | Shell)[];

function render(v: Interp): string {
  if (v instanceof Shell) return v.text;
  if (Array.isArray(v)) return v.map((x) => render(x as Interp)).join(' ');
  return quote(v as string | number);
}

/** Tagged template: sh`rm -f ${path}` quotes `path`; arrays become several words; Shell splices raw. */
export function sh(strings: TemplateStringsArray, ...values: Interp[]): Shell {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new Shell(out);
}

/** Join fragments into one script, one per line. */
export function script(...parts: (Shell | null | undefined | false)[]): Shell {
  return new Shell(
    parts
      .filter((p): p is Shell => p instanceof Shell)
      .map((p) => p.text)
      .join('\n'),
  );
}

/** Mark a literal as raw shell. Only for constant strings written in this repository. */
export function raw(text: string): Shell {
  return new Shell(text);
}
