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
