// The atomic write script, run for real by the local /bin/sh (as root when available),
// and the file module's scripts on a temp tree: plan from real facts, apply, re-plan -> ok.
import { spawnSync } from 'node:child_process';
import {
  chownSync,
  symlinkSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  lstatSync,
  readlinkSync,
  mkdirSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { planPutFile } from '../../../src/modules/common/put-file.js';
import file, { type FileArgs } from '../../../src/modules/file.js';
import copy from '../../../src/modules/copy.js';
import { fileFact } from '../../../src/facts/file.js';
import type { Change, Plan } from '../../../src/modules/types.js';
import { fakeContext, fakeFacts } from '../helpers.js';
import { gather } from '../facts/local.js';

function apply(ch: Change): { code: number; stderr: string } {
  const r = spawnSync('/bin/sh', ['-c', ch.script.text], { input: ch.stdin ?? '', encoding: 'utf8' });
  return { code: r.status ?? -1, stderr: r.stderr };
}

function planFor(dest: string, content: string, extra: Record<string, unknown> = {}): Plan {
  const fact = fileFact(dest);
  return planPutFile({ dest, ...extra }, Buffer.from(content), fakeFacts({ [fact.key]: gather(fact) }), fakeContext());
}

const mode = (p: string): string => (statSync(p).mode & 0o7777).toString(8).padStart(4, '0');
const leftovers = (dir: string): string[] => readdirSync(dir).filter((n) => n.startsWith('.plumb.'));

describe('put-file: the atomic write script, run for real', function () {
  // Real processes on a possibly busy machine: allow more than mocha's 2 s.
  this.timeout(60_000);
  let dir = '';
  const isRoot = process.getuid?.() === 0;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'plumb put file '));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the file with content from stdin and the mode; a second plan is ok', () => {
    const dest = join(dir, "app's.conf");
    const p = planFor(dest, 'a=1\n', { mode: '0640', ...(isRoot ? { owner: 'root', group: 'root' } : {}) });
    expect(p.changes).to.have.length(1);
    expect(apply(p.changes[0]!).code).to.equal(0);
    expect(readFileSync(dest, 'utf8')).to.equal('a=1\n');
    expect(mode(dest)).to.equal('0640');
    expect(leftovers(dir)).to.deep.equal([]);
    expect(planFor(dest, 'a=1\n', { mode: '0640' }).changes).to.deep.equal([]);
  });

  it('a failing validate leaves the old file untouched and no temp file behind', () => {
    const dest = join(dir, 'app.conf');
    writeFileSync(dest, 'old\n', { mode: 0o600 });
    const p = planFor(dest, 'new\n', { validate: 'grep -q valid %s' });
    const r = apply(p.changes[0]!);
    expect(r.code).to.equal(3);
    expect(r.stderr).to.match(/validate refused the new .*app\.conf: grep -q valid %s/);
    expect(readFileSync(dest, 'utf8')).to.equal('old\n');
    expect(mode(dest)).to.equal('0600');
    expect(leftovers(dir)).to.deep.equal([]);
  });

  it('a passing validate sees the temp file, then the rename happens; backup keeps the old one', () => {
    const dest = join(dir, 'app.conf');
    writeFileSync(dest, 'old\n', { mode: 0o644 });
    const p = planFor(dest, 'valid\n', { validate: 'grep -q valid %s', backup: true });
    expect(apply(p.changes[0]!).code).to.equal(0);
    expect(readFileSync(dest, 'utf8')).to.equal('valid\n');
    const backups = readdirSync(dir).filter((n) => /^app\.conf\.\d{14}~$/.test(n));
    expect(backups).to.have.length(1);
    expect(readFileSync(join(dir, backups[0]!), 'utf8')).to.equal('old\n');
    expect(leftovers(dir)).to.deep.equal([]);
  });

  it('keeps the live mode when none is given; attribute-only drift is a chmod', () => {
    const dest = join(dir, 'x');
    writeFileSync(dest, 'same\n', { mode: 0o600 });
    expect(planFor(dest, 'same\n').changes).to.deep.equal([]);
    const p = planFor(dest, 'same\n', { mode: '0644' });
    expect(p.changes[0]!.script.text).not.to.include('mktemp');
    expect(apply(p.changes[0]!).code).to.equal(0);
    expect(mode(dest)).to.equal('0644');
  });

  it('an update keeps the ownership of the live file, even a uid without a passwd entry', function () {
    if (!isRoot) this.skip();
    const dest = join(dir, 'owned');
    writeFileSync(dest, 'old\n');
    chownSync(dest, 54321, 54322);
    expect(apply(planFor(dest, 'new\n').changes[0]!).code).to.equal(0);
    expect(readFileSync(dest, 'utf8')).to.equal('new\n');
    expect([statSync(dest).uid, statSync(dest).gid]).to.deep.equal([54321, 54322]);
  });

  it('a missing parent directory fails the change without creating anything', () => {
    const dest = join(dir, 'nope', 'x');
    const r = apply(planFor(dest, 'x').changes[0]!);
    expect(r.code).not.to.equal(0);
    expect(existsSync(join(dir, 'nope'))).to.equal(false);
  });

  it('binary content survives stdin byte for byte', () => {
    const dest = join(dir, 'bin');
    const bytes = Buffer.from([0, 255, 10, 13, 0, 1]);
    const fact = fileFact(dest);
    const p = planPutFile({ dest }, bytes, fakeFacts({ [fact.key]: gather(fact) }), fakeContext());
    expect(apply(p.changes[0]!).code).to.equal(0);
    expect(readFileSync(dest).equals(bytes)).to.equal(true);
    const again = planPutFile({ dest }, bytes, fakeFacts({ [fact.key]: gather(fact) }), fakeContext());
    expect(again.changes).to.deep.equal([]);
  });

  it('copy with --diff: the fact fetches content, the diff shows it', () => {
    const dest = join(dir, 'c');
    writeFileSync(dest, 'before\n');
    const fact = fileFact(dest, true);
    const p = copy.plan({ dest, content: 'after\n' }, fakeFacts({ [fact.key]: gather(fact) }), fakeContext({ diff: true }));
    expect(p.diffs).to.deep.equal([{ label: dest, before: 'before\n', after: 'after\n' }]);
  });
});

describe('file module scripts, run for real', function () {
  // Real processes on a possibly busy machine: allow more than mocha's 2 s.
  this.timeout(60_000);
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-file-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Plan from the real fact, apply every change, then plan again: must be ok. */
  function converge(args: FileArgs): Plan {
    const plan = (): Plan => {
      const f = fileFact(args.path);
      return file.plan(args, fakeFacts({ [f.key]: gather(f) }), fakeContext());
    };
    const first = plan();
    for (const ch of first.changes) expect(apply(ch), ch.script.text).to.deep.include({ code: 0 });
    expect(plan().changes, 'second run is ok').to.deep.equal([]);
    return first;
  }

  it('directory with parents and a mode', () => {
    const p = join(dir, 'a', 'b');
    expect(converge({ path: p, state: 'directory', mode: '0750' }).changes).to.have.length(1);
    expect(mode(p)).to.equal('0750');
  });
  it('link, then repoint', () => {
    const p = join(dir, 'l');
    converge({ path: p, state: 'link', src: '/etc/hostname' });
    expect(readlinkSync(p)).to.equal('/etc/hostname');
    converge({ path: p, state: 'link', src: '/etc/hosts' });
    expect(readlinkSync(p)).to.equal('/etc/hosts');
  });
  it('link -n: repointing a link to a directory replaces it instead of linking inside', () => {
    mkdirSync(join(dir, 'd1'));
    mkdirSync(join(dir, 'd2'));
    const p = join(dir, 'cur');
    converge({ path: p, state: 'link', src: join(dir, 'd1') });
    converge({ path: p, state: 'link', src: join(dir, 'd2') });
    expect(readlinkSync(p)).to.equal(join(dir, 'd2'));
    expect(readdirSync(join(dir, 'd1'))).to.deep.equal([]);
  });
  it('touch, then mode on an existing file', () => {
    const p = join(dir, 't');
    converge({ path: p, state: 'touch' });
    expect(lstatSync(p).isFile()).to.equal(true);
    converge({ path: p, mode: '0600' });
    expect(mode(p)).to.equal('0600');
  });
  // A symlink swapped in between the facts and the change (issue 10): planned on a regular
  // file or directory, applied after it became a link to a file outside the managed path.
  const swaps: { name: string; kind: 'file' | 'directory'; args: (p: string) => FileArgs | 'copy' }[] = [
    { name: 'file: a mode change', kind: 'file', args: (p) => ({ path: p, mode: '0600' }) },
    { name: 'file: an owner and mode change', kind: 'file', args: (p) => ({ path: p, mode: '0600', ...(isRoot ? { owner: 'root', group: 'root' } : {}) }) },
    { name: 'directory: a mode change', kind: 'directory', args: (p) => ({ path: p, state: 'directory', mode: '0700' }) },
    { name: 'copy: an attribute-only change', kind: 'file', args: () => 'copy' },
  ];
  const isRoot = process.getuid?.() === 0;
  for (const c of swaps) {
    it(`${c.name} refuses to act through a symlink swapped in after planning; the outside target keeps its mode`, () => {
      const p = join(dir, 'managed');
      if (c.kind === 'file') writeFileSync(p, 'x\n', { mode: 0o644 });
      else mkdirSync(p, { mode: 0o755 });
      const f = fileFact(p);
      const args = c.args(p);
      const plan =
        args === 'copy'
          ? copy.plan({ dest: p, content: 'x\n', mode: '0600' }, fakeFacts({ [f.key]: gather(f) }), fakeContext())
          : file.plan(args, fakeFacts({ [f.key]: gather(f) }), fakeContext());
      expect(plan.changes).to.have.length(1);
      const outside = join(dir, 'outside');
      writeFileSync(outside, 'secret\n', { mode: 0o644 });
      rmSync(p, { recursive: true });
      symlinkSync(outside, p);
      const r = apply(plan.changes[0]!);
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.match(/is now a symbolic link: not changing attributes through it/);
      expect(mode(outside)).to.equal('0644');
      expect(lstatSync(p).isSymbolicLink()).to.equal(true);
    });
  }

  it('absent removes a file and a directory tree', () => {
    const f = join(dir, 'f');
    writeFileSync(f, 'x');
    converge({ path: f, state: 'absent' });
    mkdirSync(join(dir, 'tree', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'tree', 'sub', 'x'), 'x');
    converge({ path: join(dir, 'tree'), state: 'absent' });
    expect(existsSync(join(dir, 'tree'))).to.equal(false);
  });
});
