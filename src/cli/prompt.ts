// A secret typed by the operator (--ask-become-pass, --ask-key-passphrase): read from the
// controlling terminal with echo off, never from stdin (which may be a pipe of other data) and
// never echoed or logged. Without a terminal it is an input error naming the secret options.
import { openSync } from 'node:fs';
import { ReadStream, WriteStream } from 'node:tty';
import { InputError } from '../errors.js';

/** Read one line from /dev/tty without echo. `device` is for tests (a pty's slave). */
export function askSecret(question: string, alternative: string, device = '/dev/tty'): Promise<string> {
  // One descriptor per direction: each stream closes its own, so none is closed twice.
  let rfd: number;
  let wfd: number;
  try {
    rfd = openSync(device, 'r');
    wfd = openSync(device, 'w');
  } catch {
    return Promise.reject(InputError.one(`${question.replace(/:\s*$/, '')}: no terminal to ask on`, undefined, alternative));
  }
  const input = new ReadStream(rfd);
  const output = new WriteStream(wfd);
  return new Promise<string>((resolve, reject) => {
    let typed = '';
    const done = (err?: Error) => {
      input.setRawMode(false);
      input.removeAllListeners('data');
      output.write('\n', () => output.destroy());
      input.destroy();
      if (err) reject(err);
      else resolve(typed);
    };
    input.setRawMode(true);
    output.write(question);
    input.on('data', (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(InputError.one(`${question.replace(/:\s*$/, '')}: cancelled`));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    });
  });
}
