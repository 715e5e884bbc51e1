// File states with content for the line editors' tables (they read the text in the batch).
import { createHash } from 'node:crypto';
import type { FileState } from '../../../src/facts/file.js';

export const textFile = (content: string, over: Partial<Extract<FileState, { kind: 'file' }>> = {}): FileState => ({
  kind: 'file',
  mode: '0644',
  owner: 'root',
  group: 'root',
  size: Buffer.byteLength(content),
  sha256: createHash('sha256').update(content).digest('hex'),
  content: Buffer.from(content),
  ...over,
});
export const absent: FileState = { kind: 'absent' };
export const withText = (path: string, st: FileState): Record<string, FileState> => ({ [`file:${path}#content`]: st });
