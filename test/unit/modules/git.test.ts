import { expect } from 'chai';
import { parseGit, redactUrl } from '../../../src/facts/git.js';
import git, { type GitArgs, parseGitOutput } from '../../../src/modules/git.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const K = 'git:/srv/app';
const SHA1 = 'a'.repeat(40);
const SHA2 = 'b'.repeat(40);
const URL = 'file:///srv/upstream.git';
const repo = (v: object = {}) => ({ kind: 'repo', head: SHA1, url: URL, dirty: false, bare: false, ...v });
const base: GitArgs = { repo: URL, dest: '/srv/app' };

const cases: Case<GitArgs>[] = [
  {
    name: 'clones into a missing dest; the URL travels on stdin, not in the script',
    args: base,
    facts: { [K]: { kind: 'absent' } },
    expect: {
      status: 'changed',
      changes: 1,
      scriptMatches: [/^IFS= read -r repo$/m, /git clone -q {2}-- "\$repo" "\$d"/, /submodule -q update --init --recursive/],
      scriptNotMatches: [/upstream\.git/],
      stdin: `${URL}\n`,
      invalidates: [K],
      result: { before: null, remote_url_changed: false },
    },
  },
  {
    name: 'clone options: branch, depth, single_branch, bare, remote name',
    args: { ...base, version: 'release', depth: 1, single_branch: true, bare: true, remote: 'up', recursive: false },
    facts: { [K]: { kind: 'notrepo' } },
    expect: {
      status: 'changed',
      scriptMatches: [/git clone -q --bare --depth 1 --single-branch --branch release --origin up -- "\$repo" "\$d"/],
      scriptNotMatches: [/submodule/],
    },
  },
  {
    name: 'a sha version is checked out after the clone',
    args: { ...base, version: SHA2 },
    facts: { [K]: { kind: 'absent' } },
    expect: { status: 'changed', scriptMatches: [new RegExp(`checkout -q --force ${SHA2}`)], scriptNotMatches: [/--branch/] },
  },
  {
    name: 'clone: no and no repository is ok (nothing to do)',
    args: { ...base, clone: false },
    facts: { [K]: { kind: 'absent' } },
    expect: { status: 'ok' },
  },
  {
    name: 'pinned sha equal to HEAD: ok without the network',
    args: { ...base, version: SHA1 },
    facts: { [K]: repo() },
    expect: { status: 'ok', result: { before: SHA1, after: SHA1, remote_url_changed: false } },
  },
  {
    name: 'pinned sha differing from HEAD: fetch and check out',
    args: { ...base, version: SHA2 },
    facts: { [K]: repo() },
    expect: { status: 'changed', scriptMatches: [/fetch -q {2}origin '\+refs\/heads\/\*:refs\/remotes\/origin\/\*'/, new RegExp(`t=${SHA2}`)] },
  },
  {
    name: 'a branch: the apply step fetches (check mode cannot know), refusing local edits again on the host',
    args: { ...base, version: 'main' },
    facts: { [K]: repo() },
    expect: {
      status: 'changed',
      scriptMatches: [/refs\/remotes\/origin\/main\^\{commit\}/, /checkout -q --force -B main "\$t"/, /status --porcelain --untracked-files=no/],
    },
  },
  {
    name: 'HEAD: resolved with ls-remote in the apply step',
    args: base,
    facts: { [K]: repo() },
    expect: { status: 'changed', scriptMatches: [/ls-remote "\$repo" HEAD/] },
  },
  {
    name: 'local modifications with force: no fail clearly',
    args: { ...base, version: SHA2 },
    facts: { [K]: repo({ dirty: true }) },
    expect: { status: 'error', error: /local modifications exist in \/srv\/app \(force=no\)[\s\S]*hint: .*force: yes/ },
  },
  {
    name: 'local modifications with force: yes are discarded (reset --hard)',
    args: { ...base, version: SHA2, force: true },
    facts: { [K]: repo({ dirty: true }) },
    expect: { status: 'changed', scriptMatches: [/reset -q --hard "\$t"/], scriptNotMatches: [/status --porcelain/] },
  },
  {
    name: 'update: no leaves an existing checkout alone',
    args: { ...base, update: false, version: SHA2 },
    facts: { [K]: repo({ dirty: true }) },
    expect: { status: 'ok', result: { before: SHA1, after: SHA1 } },
  },
  {
    name: 'a changed remote URL is set again and shown redacted',
    args: { ...base, repo: 'https://bob:s3cret@git.example/app.git', version: SHA1 },
    facts: { [K]: repo({ url: 'https://bob:old@git.example/app.git' }) },
    expect: {
      status: 'changed',
      scriptMatches: [/remote set-url origin "\$repo"/],
      scriptNotMatches: [/s3cret/],
      diff: [
        { label: 'git /srv/app remote origin', before: 'https://bob:********@git.example/app.git\n', after: 'https://bob:********@git.example/app.git\n' },
      ],
      result: { remote_url_changed: true },
    },
  },
  {
    name: 'ssh options go to GIT_SSH_COMMAND, umask applied',
    args: { ...base, repo: 'ssh://git@h/x.git', accept_newhostkey: true, key_file: '/root/.ssh/deploy', umask: '0027' },
    facts: { [K]: { kind: 'absent' } },
    expect: {
      status: 'changed',
      scriptMatches: [/^umask 0027$/m, /^export GIT_SSH_COMMAND='ssh -o StrictHostKeyChecking=accept-new -i \/root\/\.ssh\/deploy -o IdentitiesOnly=yes'$/m],
    },
  },
  {
    name: 'git not installed: fails outside check mode',
    args: base,
    facts: { [K]: { kind: 'nogit' } },
    expect: { status: 'error', error: /git is not installed on the host[\s\S]*hint: install it/ },
  },
  {
    name: 'git not installed, an earlier unapplied apt task would install it: would clone',
    args: base,
    facts: { [K]: { kind: 'nogit' } },
    ctx: { mayChange: () => true },
    expect: { status: 'changed' },
  },
];

describe('git module', () => {
  runTable(git, cases);
  runSchemaTable(git, [
    { name: 'minimal', args: base, valid: true },
    { name: 'repo is required', args: { dest: '/srv/app' }, valid: false, message: /repo/ },
    { name: 'dest must be absolute', args: { repo: URL, dest: 'app' }, valid: false, message: /absolute/ },
    { name: 'unknown key', args: { ...base, branch: 'main' }, valid: false, message: /branch/ },
    { name: 'force is a boolean', args: { ...base, force: 'maybe' }, valid: false, message: /boolean/ },
    { name: 'version with a space', args: { ...base, version: 'a b' }, valid: false, message: /branch, a tag or a commit/ },
    { name: 'depth >= 1', args: { ...base, depth: 0 }, valid: false },
  ]);

  it('the fact parses every state', () => {
    expect(parseGit('nogit\n')).to.deep.equal({ kind: 'nogit' });
    expect(parseGit('absent\n')).to.deep.equal({ kind: 'absent' });
    expect(parseGit(`repo\n${SHA1}\n${URL}\n1\n`)).to.deep.equal({ kind: 'repo', head: SHA1, url: URL, dirty: true, bare: false });
    expect(parseGit('bare\n\n\n0\n')).to.deep.equal({ kind: 'repo', head: '', url: '', dirty: false, bare: true });
  });

  it('parses before/after from the apply output; changed only when HEAD moved', () => {
    expect(parseGitOutput(`x\n@@plumb-git@@ ${SHA1} ${SHA2}\n`)).to.deep.equal({ before: SHA1, after: SHA2 });
    expect(parseGitOutput(`@@plumb-git@@  ${SHA2}\n`)).to.deep.equal({ before: null, after: SHA2 });
    const plan = git.plan({ ...base, version: 'main' }, { get: () => repo() as never }, {} as never);
    const parse = plan.changes[0]?.parse;
    expect(parse?.({ code: 0, stdout: `@@plumb-git@@ ${SHA1} ${SHA1}\n`, stderr: '' })).to.include({ changed: false });
    expect(parse?.({ code: 0, stdout: `@@plumb-git@@ ${SHA1} ${SHA2}\n`, stderr: '' })).to.include({ changed: true, after: SHA2 });
  });

  for (const [url, shown] of [
    ['https://user:pa:ss@host/r.git', 'https://user:********@host/r.git'],
    ['https://ghp_TOKEN@github.com/o/r.git', 'https://********@github.com/o/r.git'],
    ['ssh://git@host/r.git', 'ssh://git@host/r.git'],
    ['git@host:r.git', 'git@host:r.git'],
    ['file:///srv/r.git', 'file:///srv/r.git'],
  ] as const)
    it(`redacts ${shown}`, () => expect(redactUrl(url)).to.equal(shown));
});
