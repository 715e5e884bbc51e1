// Schema fragments shared by modules. Modes are quoted strings: YAML's `mode: 0644` is the
// integer 644 (and `644` is decimal), which would silently set the wrong permissions.
export const modeSchema = {
  type: 'string',
  pattern: '^0?[0-7]{3}$|^[0-7]{4}$',
  errorMessage: 'mode must be a quoted octal string such as "0644"',
} as const;

export const fileAttrSchema = {
  owner: { type: 'string', minLength: 1 },
  group: { type: 'string', minLength: 1 },
  mode: modeSchema,
} as const;

/**
 * An absolute path without "." or ".." segments: what plumb writes to is what the task says.
 * One check per rule, so each failure says which rule it broke.
 */
export const absPathSchema = {
  type: 'string',
  allOf: [
    { type: 'string', pattern: '^/', errorMessage: 'must be an absolute path (starting with /)' },
    {
      type: 'string',
      not: { type: 'string', pattern: '[\\n\\r\\u0000]' },
      errorMessage: 'must not contain a newline, carriage return or NUL (usually a variable that holds more than one line)',
    },
    { type: 'string', pattern: '^(?![^]*/\\.\\.?(/|$))', errorMessage: 'must not contain . or .. segments' },
  ],
} as const;

/** dest/owner/group/mode/validate/backup: the arguments of copy and template. */
export const putFileSchema = {
  dest: absPathSchema,
  ...fileAttrSchema,
  validate: { type: 'string', pattern: '%s', errorMessage: "validate must contain %s (the temp file's path)" },
  backup: { type: 'boolean' },
} as const;

/** A string or a non-empty list of strings (package names, groups). */
export function oneOrMany(item: Record<string, unknown>): Record<string, unknown> {
  return { anyOf: [item, { type: 'array', items: item, minItems: 1 }] };
}

export function asList<T>(v: T | readonly T[] | undefined): T[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? [...(v as readonly T[])] : [v as T];
}

/**
 * "key is present", for oneOf/anyOf/not branches. Ajv's strictRequired wants every required
 * key declared in the same schema object, so the branch declares it (accepting anything:
 * the parent's `properties` does the real checking).
 */
export function has(...keys: string[]): Record<string, unknown> {
  return { required: keys, properties: Object.fromEntries(keys.map((k) => [k, true])) };
}
