// YAML loading with source positions. Every value the operator wrote can be traced back to
// file:line:col, so schema errors, undefined variables and bad patterns point at the line.
import { readFileSync } from 'node:fs';
import {
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  Scalar,
  visit,
  type Document,
  type Node,
  type Tags,
  type YAMLError,
} from 'yaml';
import { InputError, type InputProblem, type SourcePos } from '../errors.js';

export type YamlPath = readonly (string | number)[];

export interface YamlSource {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  value: unknown;
  /** The file's text, for quoting what the operator wrote in hints. */
  text?: string;
}

/** A value plus where it came from, for lazy positions. */
export interface Located {
  src: YamlSource;
  path: YamlPath;
}

export function loadYaml(file: string, text?: string, customTags?: Tags): YamlSource {
  let body: string;
  try {
    body = text ?? readFileSync(file, 'utf8');
  } catch (e) {
    throw InputError.one(`cannot read ${file}: ${(e as Error).message}`, undefined, 'check the path');
  }
  const lines = new LineCounter();
  // YAML 1.2 core schema: yes/no/on/off stay strings, 0644 is the integer 644 (caught by schemas).
  const doc = parseDocument(body, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: true, ...(customTags ? { customTags } : {}) });
  const problems: InputProblem[] = doc.errors.map((e) => {
    const open = unclosedAt(doc, body, e);
    if (open) {
      const p = lines.linePos(open.offset);
      return {
        pos: { file, line: p.line, col: p.col },
        message: `invalid YAML: ${open.char} opened here is never closed`,
        hint: `add the closing ${open.close} on this line`,
      };
    }
    const p = lines.linePos(e.pos[0]);
    return {
      pos: { file, line: p.line, col: p.col },
      message: `invalid YAML: ${e.message.split('\n')[0]}`,
      hint: e.code === 'DUPLICATE_KEY' ? 'remove or rename the duplicated key' : 'check indentation, quoting and colons on this line',
    };
  });
  if (problems.length) throw new InputError(problems);
  const value: unknown = doc.toJS({ maxAliasCount: 1000 });
  // The walk over plain values is cheap; the positions are looked up only when needed.
  if (reservedKeyPaths(value).length) {
    visit(doc, {
      Pair(_key, pair) {
        if (!isScalar(pair.key) || !RESERVED_KEYS.has(String(pair.key.value))) return;
        const p = lines.linePos(pair.key.range?.[0] ?? 0);
        problems.push({ pos: { file, line: p.line, col: p.col }, message: reservedKeyMessage(String(pair.key.value)), hint: RESERVED_HINT });
      },
    });
    throw new InputError(problems);
  }
  return { file, doc, lines, value, text: body };
}

/**
 * Mapping keys no input may use: merged into other mappings they could change prototypes
 * (prototype pollution), and expressions refuse to read them anyway.
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const RESERVED_HINT = 'rename the key; __proto__, constructor and prototype are reserved';

export function reservedKeyMessage(key: string): string {
  return `the key '${key}' is not allowed`;
}

/** Paths of reserved keys in a parsed value (JSON from -e), e.g. ["a", "__proto__"]. */
export function reservedKeyPaths(v: unknown, path: string[] = [], out: string[][] = []): string[][] {
  if (Array.isArray(v)) v.forEach((x, i) => reservedKeyPaths(x, [...path, String(i)], out));
  else if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      if (RESERVED_KEYS.has(k)) out.push([...path, k]);
      else reservedKeyPaths((v as Record<string, unknown>)[k], [...path, k], out);
    }
  }
  return out;
}

const CLOSER: Record<string, string> = { '{': '}', '[': ']', '"': '"', "'": "'" };

/**
 * The parser notices an unclosed {, [ or quote only where the next line (or the file) starts;
 * point at the opening character instead, which is where the fix goes.
 */
function unclosedAt(doc: Document.Parsed, body: string, e: YAMLError): { offset: number; char: string; close: string } | null {
  if (e.code !== 'BAD_INDENT' && e.code !== 'MISSING_CHAR') return null;
  const at = e.pos[0];
  let best: { offset: number; char: string; close: string } | null = null;
  visit(doc, (_key, node) => {
    const quoted = isScalar(node) && (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE);
    if (!(quoted || (isCollection(node) && node.flow)) || !node.range) return;
    const [start, end] = node.range;
    const char = body.charAt(start);
    const close = CLOSER[char];
    if (!close || start >= at || end < at) return;
    if (
      end - start > 1 &&
      body
        .slice(start + 1, end)
        .trimEnd()
        .endsWith(close)
    )
      return;
    if (!best || start > best.offset) best = { offset: start, char, close };
  });
  return best;
}

function nodeAt(src: YamlSource, path: YamlPath, wantKey: boolean): Node | null {
  let node: unknown = src.doc.contents;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return node as Node;
      if (last && wantKey) return pair.key as Node;
      node = pair.value ?? pair.key;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (item === undefined) return node as Node;
      node = item;
    } else {
      return (node as Node) ?? null;
    }
  }
  return (node as Node) ?? null;
}

/** Position of the value at `path` (or of its key with wantKey), falling back to the nearest parent. */
export function posOf(src: YamlSource, path: YamlPath, wantKey = false): SourcePos {
  const node = nodeAt(src, path, wantKey);
  const offset = node?.range?.[0] ?? 0;
  const p = src.lines.linePos(offset);
  return { file: src.file, line: p.line, col: p.col };
}

export function locPos(l: Located, wantKey = false): SourcePos {
  return posOf(l.src, l.path, wantKey);
}

/**
 * The source text of the unquoted scalar at `path` when it is exactly `value` as parsed
 * (YAML reads `mode: 0644` as 644; a hint should quote "0644", what was written).
 */
export function plainText(src: YamlSource, path: YamlPath, value: unknown): string | undefined {
  const node = nodeAt(src, path, false);
  if (!src.text || !isScalar(node) || node.type !== Scalar.PLAIN || node.value !== value || !node.range) return undefined;
  return src.text.slice(node.range[0], node.range[1]);
}
