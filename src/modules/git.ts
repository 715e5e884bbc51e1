// git: a checkout of `repo` at `dest`, at `version` (a branch, a tag or a commit; HEAD by
// default), with Ansible's ansible.builtin.git argument names. Facts (HEAD, remote URL,
// local modifications) are read without the network. What a branch or tag points at on the
// remote is only learnt by fetching, so the apply step fetches and compares, and the task is
// changed only when HEAD moved; check mode says "would fetch" with why (the remote is not
// consulted in check mode). A full commit sha is compared locally: no network when in sync.
// Local modifications fail the task unless force: yes. The URL travels on stdin and is
// redacted in every message, diff and error (a token or password in it is never printed).
import { TaskError } from '../errors.js';
import { type GitState, gitFact, redactUrl } from '../facts/git.js';
import { raw, type Shell, script, sh } from '../sh.js';
import { defineModule, definePlan, type Plan } from './types.js';

export interface GitArgs {
  repo: string;
  dest: string;
  version?: string;
  remote?: string;
  force?: boolean;
  depth?: number;
  clone?: boolean;
  update?: boolean;
  accept_hostkey?: boolean;
  accept_newhostkey?: boolean;
  key_file?: string;
  ssh_opts?: string;
  single_branch?: boolean;
  recursive?: boolean;
  bare?: boolean;
  umask?: string | number;
  executable?: string;
}

const SHA = /^[0-9a-f]{40}$/;
const MARK = '@@plumb-git@@';
/** The exit code of the script's own "local modifications" refusal (the fact can be stale). */
const DIRTY_EXIT = 3;

/** before/after shas the apply script prints on its last line. */
export function parseGitOutput(stdout: string): { before: string | null; after: string | null } {
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(MARK));
  if (!line) return { before: null, after: null };
  const [, before = '', after = ''] = line.split(' ');
  return { before: before || null, after: after || null };
}

function sshEnv(args: GitArgs): Shell | null {
  const opts: string[] = [];
  if (args.accept_hostkey) opts.push('-o', 'StrictHostKeyChecking=no');
  else if (args.accept_newhostkey) opts.push('-o', 'StrictHostKeyChecking=accept-new');
  if (args.key_file) opts.push('-i', args.key_file, '-o', 'IdentitiesOnly=yes');
  if (args.ssh_opts) opts.push(args.ssh_opts);
  if (!opts.length) return null;
  // GIT_SSH_COMMAND is parsed by a shell: each word quoted once here.
  return sh`export GIT_SSH_COMMAND=${`ssh ${sh`${opts}`.text}`}`;
}

/**
 * The apply script: the URL is read from stdin, stderr is redacted before it leaves the host,
 * and the last line names HEAD before and after.
 */
function applyScript(args: GitArgs, body: Shell[]): Shell {
  const umask = args.umask === undefined ? null : sh`umask ${typeof args.umask === 'number' ? args.umask.toString(8).padStart(4, '0') : args.umask}`;
  return script(
    raw('IFS= read -r repo'),
    sh`d=${args.dest}`,
    raw('err=$(mktemp) || exit 1'),
    // A subshell: set -e ends it, not the script, so stderr is still redacted and removed.
    raw('('),
    raw('set -e'),
    umask,
    sshEnv(args),
    ...body,
    raw(`) 2>"$err"; rc=$?`),
    raw(`sed 's#\\(://[^/:@]*\\):[^/@]*@#\\1:********@#g; s#\\(https\\{0,1\\}://\\)[^/:@]*@#\\1********@#g' "$err" >&2; rm -f "$err"`),
    raw('exit $rc'),
  );
}

export default defineModule<GitArgs>({
  name: 'git',
  schema: {
    type: 'object',
    properties: {
      repo: { type: 'string', minLength: 1 },
      dest: { type: 'string', pattern: '^/', errorMessage: 'dest must be an absolute path' },
      version: { type: 'string', minLength: 1, pattern: '^[^\\s~^:?*\\[\\\\]+$', errorMessage: 'version must be a branch, a tag or a commit sha' },
      remote: { type: 'string', pattern: '^[A-Za-z0-9._-]+$' },
      force: { type: 'boolean' },
      depth: { type: 'integer', minimum: 1 },
      clone: { type: 'boolean' },
      update: { type: 'boolean' },
      accept_hostkey: { type: 'boolean' },
      accept_newhostkey: { type: 'boolean' },
      key_file: { type: 'string', pattern: '^/' },
      ssh_opts: { type: 'string' },
      single_branch: { type: 'boolean' },
      recursive: { type: 'boolean' },
      bare: { type: 'boolean' },
      umask: {
        anyOf: [
          { type: 'string', pattern: '^0?[0-7]{3}$' },
          { type: 'integer', minimum: 0, maximum: 511 },
        ],
      },
      executable: { type: 'string', minLength: 1 },
    },
    required: ['repo', 'dest'],
    additionalProperties: false,
  },
  facts: (args) => [gitFact(args)],

  plan(args, facts, ctx): Plan {
    const fact = gitFact(args);
    const st: GitState = facts.get(fact);
    const version = args.version ?? 'HEAD';
    const remote = args.remote ?? 'origin';
    const shown = redactUrl(args.repo);
    const exe = args.executable ?? 'git';
    const g = args.bare ? sh`${exe} --git-dir="$d"` : sh`${exe} -C "$d"`;
    const label = `git ${args.dest}`;
    const stdin = `${args.repo}\n`;
    const common = { stdin, invalidates: [fact.key, `file:${args.dest}`, 'cmd:*'] };

    if (st.kind === 'nogit' && !ctx.mayChange(fact))
      throw new TaskError(`git: ${exe} is not installed on the host`, 'install it first (apt: name=git), or set executable');

    if (st.kind !== 'repo') {
      if (args.clone === false) return definePlan({ summary: `${args.dest} is not a repository and clone is no`, result: { before: null, after: null } });
      const opts = [
        ...(args.bare ? ['--bare'] : []),
        ...(args.depth !== undefined ? ['--depth', String(args.depth)] : []),
        ...(args.single_branch ? ['--single-branch'] : []),
        ...(version !== 'HEAD' && !SHA.test(version) ? ['--branch', version] : []),
        ...(remote !== 'origin' ? ['--origin', remote] : []),
      ];
      const body = [
        sh`${exe} clone -q ${opts} -- "$repo" "$d"`,
        SHA.test(version) ? sh`${g} checkout -q --force ${version}` : null,
        !args.bare && args.recursive !== false ? sh`${g} submodule -q update --init --recursive` : null,
        sh`printf '%s  %s\\n' ${MARK} "$(${g} rev-parse HEAD)"`,
      ].filter((x): x is Shell => x !== null);
      const description = `clone ${shown} into ${args.dest}${version !== 'HEAD' ? ` at ${version}` : ''}`;
      return definePlan({
        changes: [
          {
            description,
            script: applyScript(args, body),
            ...common,
            parse: (o) => ({ ...parseGitOutput(o.stdout), remote_url_changed: false }),
          },
        ],
        diffs: [{ label, before: 'absent\n', after: `clone of ${shown} at ${version}\n` }],
        summary: description,
        result: { before: null, remote_url_changed: false },
      });
    }

    const base = { before: st.head || null, after: st.head || null, remote_url_changed: false };
    if (args.update === false) return definePlan({ summary: `${args.dest} exists and update is no`, result: base });
    if (st.dirty && !args.force)
      throw new TaskError(
        `git: local modifications exist in ${args.dest} (force=no): not updating it`,
        'commit or discard them on the host, or set force: yes to discard them',
      );
    const urlChanged = st.url !== args.repo;
    if (!urlChanged && SHA.test(version) && st.head === version) return definePlan({ summary: `at ${version}`, result: base });

    const fetchOpts = [...(args.depth !== undefined ? ['--depth', String(args.depth)] : [])];
    const refspecs = args.bare
      ? ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*']
      : [`+refs/heads/*:refs/remotes/${remote}/*`, '+refs/tags/*:refs/tags/*'];
    const target =
      version === 'HEAD'
        ? sh`t=$(${exe} ls-remote "$repo" HEAD | cut -f1); [ -n "$t" ] || { echo 'the remote has no HEAD' >&2; exit 1; }`
        : SHA.test(version)
          ? sh`t=${version}`
          : sh`if ${g} rev-parse -q --verify ${`refs/remotes/${remote}/${version}^{commit}`} >/dev/null; then t=$(${g} rev-parse ${`refs/remotes/${remote}/${version}^{commit}`}); b=1; elif ${g} rev-parse -q --verify ${`refs/tags/${version}^{commit}`} >/dev/null; then t=$(${g} rev-parse ${`refs/tags/${version}^{commit}`}); else echo ${`version ${version} is neither a branch nor a tag of the remote`} >&2; exit 1; fi`;
    const isBranch = version !== 'HEAD' && !SHA.test(version);
    const body = [
      sh`before=$(${g} rev-parse -q --verify HEAD || true)`,
      // The fact may be stale: refuse again here rather than discard someone's edit.
      !args.force && !args.bare
        ? sh`if [ -n "$(${g} status --porcelain --untracked-files=no)" ]; then echo 'local modifications exist (force=no)' >&2; exit ${DIRTY_EXIT}; fi`
        : null,
      urlChanged ? sh`${g} remote set-url ${remote} "$repo" 2>/dev/null || ${g} remote add ${remote} "$repo"` : null,
      sh`${g} fetch -q ${fetchOpts} ${remote} ${refspecs}`,
      sh`b=`,
      target,
      args.bare
        ? null
        : isBranch
          ? sh`if [ -n "$b" ]; then ${g} checkout -q --force -B ${version} "$t"; else ${g} checkout -q --force "$t"; fi`
          : sh`[ "$before" = "$t" ] || ${g} checkout -q --force "$t"`,
      !args.bare && args.force ? sh`${g} reset -q --hard "$t"` : null,
      !args.bare && args.recursive !== false ? sh`${g} submodule -q update --init --recursive` : null,
      sh`printf '%s %s %s\\n' ${MARK} "$before" "$(${g} rev-parse HEAD)"`,
    ].filter((x): x is Shell => x !== null);
    const why = SHA.test(version) ? `HEAD is ${st.head.slice(0, 12) || 'unborn'}` : 'the remote is consulted when applied, not in check mode';
    const description = `fetch ${shown} into ${args.dest} and check out ${version}${urlChanged ? ` (remote ${remote} was ${redactUrl(st.url) || 'unset'})` : ''}`;
    return definePlan({
      changes: [
        {
          description,
          script: applyScript(args, body),
          ...common,
          refusedExit: DIRTY_EXIT,
          parse: (o) => {
            const r = parseGitOutput(o.stdout);
            return { ...r, remote_url_changed: urlChanged, changed: urlChanged || r.before !== r.after };
          },
        },
      ],
      diffs: urlChanged ? [{ label: `${label} remote ${remote}`, before: `${redactUrl(st.url)}\n`, after: `${shown}\n` }] : [],
      summary: `${description} (${why})`,
      result: { before: st.head || null, remote_url_changed: urlChanged },
    });
  },
});
