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

// A throwaway ed25519 public key made with gpg for these tests (no secret part exists anywhere).
export const TEST_KEY = `-----BEGIN PGP PUBLIC KEY BLOCK-----

mDMEaxEvaxYJKwYBBAHaRw8BAQdAykRTlJzLy5mGYrGZr+1zna6VzCdetbxhYn8B
Og06s4a0H3BsdW1iIHRlc3QgPHRlc3RAcGx1bWIuaW52YWxpZD6IkAQTFggAOBYh
BDr7DvOy2LtDE3GVcV5m9DWc4J3UBQJrES9rAhsBBQsJCAcCBhUKCQgLAgQWAgMB
Ah4BAheAAAoJEF5m9DWc4J3U1ngBAO5vkNgIxFvdD8XdKUHoFxZEzTApFBH1UnnS
FghOfa5bAQDTFIFuEU+YSolNX4h4WbrXQiE5i/LUit94jzmLmNbTBg==
=zmNZ
-----END PGP PUBLIC KEY BLOCK-----
`;
