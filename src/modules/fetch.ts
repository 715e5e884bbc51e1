// fetch: copy a file from the host to the controller, at dest/<inventory_hostname>/<src>
// (flat: no, the default) or at dest itself (flat: yes). The host's sha1 comes from the
// batched stat probe and the controller's from the context (where local inputs are read):
// equal means ok and nothing is transferred. The write on the controller is the executor's
// (Change.local): atomic, and never outside dest, whatever the host sends.
import { createHash } from 'node:crypto';
import { TaskError } from '../errors.js';
import { statFact } from '../facts/stat.js';
import { raw, script, sh } from '../sh.js';
import { absPathSchema } from './common/schema.js';
import { defineModule, definePlan, type ModuleContext } from './types.js';

export interface FetchArgs {
  src: string;
  dest: string;
  flat?: boolean;
  fail_on_missing?: boolean;
  validate_checksum?: boolean;
}

const SEP = '@@plumb-fetch@@';
const factOf = (a: FetchArgs) => statFact(a.src, { follow: true, checksum: 'sha1' });

/** Where the file lands: a root directory and a path inside it (see Change.local). */
export function target(a: FetchArgs, host: string): { root: string; path: string } {
  const base = (s: string) => s.slice(s.lastIndexOf('/') + 1);
  if (a.flat) {
    if (a.dest.endsWith('/')) return { root: a.dest, path: base(a.src) };
    const at = a.dest.lastIndexOf('/');
    return at < 0 ? { root: '.', path: a.dest } : { root: a.dest.slice(0, at) || '/', path: a.dest.slice(at + 1) };
  }
  if (host === '' || host === '.' || host === '..' || host.includes('/'))
    throw new TaskError(`host name ${JSON.stringify(host)} cannot be a directory name under dest`);
  return { root: a.dest, path: `${host}${a.src}` };
}

const joined = (t: { root: string; path: string }) => `${t.root.replace(/\/+$/, '')}/${t.path}`;

/** The host's output: base64 content, then the sha1 of what was sent. */
export function parseFetch(stdout: string): { content: Buffer; sha1: string } {
  const at = stdout.lastIndexOf(SEP);
  if (at < 0) throw new TaskError('fetch: the host sent no file');
  return {
    content: Buffer.from(stdout.slice(0, at).replace(/\s+/g, ''), 'base64'),
    sha1: stdout
      .slice(at + SEP.length)
      .trim()
      .slice(0, 40),
  };
}

export default defineModule<FetchArgs>({
  name: 'fetch',
  schema: {
    type: 'object',
    properties: {
      src: absPathSchema,
      dest: {
        type: 'string',
        allOf: [
          { type: 'string', minLength: 1 },
          {
            type: 'string',
            pattern: '^(?![^]*(^|/)\\.\\.(/|$))',
            errorMessage: 'dest must not contain .. segments (a relative dest is under the project root: {{ playbook_dir }}/../fetched/x is fetched/x)',
          },
          { type: 'string', not: { type: 'string', pattern: '[\\n\\r\\u0000]' }, errorMessage: 'dest must not contain a newline or NUL' },
        ],
      },
      flat: { type: 'boolean' },
      fail_on_missing: { type: 'boolean' },
      validate_checksum: { type: 'boolean' },
    },
    required: ['src', 'dest'],
    additionalProperties: false,
  },
  facts: (args) => [factOf(args)],
  plan(args, facts, ctx: ModuleContext) {
    const t = target(args, ctx.host);
    const local = joined(t);
    const fact = factOf(args);
    const st = facts.get(fact);
    const result = { file: args.src, dest: local };
    if (!st.exists) {
      if (ctx.mayChange(fact)) return fetchPlan(args, t, local, 'src may be created earlier in this run', result);
      if (args.fail_on_missing === false)
        return definePlan({
          summary: 'the remote file does not exist: not transferring, ignored',
          result: { ...result, msg: 'the remote file does not exist, not transferring, ignored' },
        });
      throw new TaskError(`file not found on the host: ${args.src}`, 'set fail_on_missing: false to ignore a missing file');
    }
    if (!(st.type ?? '').startsWith('regular')) throw new TaskError(`${args.src} is a ${st.type}; fetch fetches files`);
    const mine = ctx.localChecksum?.(local);
    if (mine !== undefined && mine === st.checksum)
      return definePlan({ summary: 'in sync (sha1 matches)', result: { ...result, checksum: mine, remote_checksum: st.checksum } });
    return fetchPlan(args, t, local, mine === undefined ? `${local} is absent` : 'sha1 differs', { ...result, remote_checksum: st.checksum });
  },
});

function fetchPlan(args: FetchArgs, t: { root: string; path: string }, local: string, why: string, result: Record<string, unknown>) {
  return definePlan({
    changes: [
      {
        description: `fetch ${args.src} to ${local}`,
        script: script(
          raw('set -e'),
          sh`if [ ! -f ${args.src} ]; then echo ${`file not found on the host: ${args.src}`} >&2; exit 1; fi`,
          // One read of the file, hashed and encoded from the same copy.
          raw('tmp=$(mktemp); trap \'rm -f "$tmp"\' EXIT'),
          sh`cat -- ${args.src} > "$tmp"`,
          raw(`base64 -w0 < "$tmp"; printf '${SEP}'; sha1sum < "$tmp" | cut -c1-40`),
        ),
        // The host is not altered; the controller file is, after the exec.
        invalidates: [],
        parse: (o) => ({ checksum: parseFetch(o.stdout).sha1 }),
        local: (o) => {
          const { content, sha1 } = parseFetch(o.stdout);
          const got = createHash('sha1').update(content).digest('hex');
          if (args.validate_checksum !== false && got !== sha1)
            throw new TaskError(`checksum mismatch fetching ${args.src}: the host sent sha1 ${sha1}, received ${got}`);
          return { ...t, content };
        },
      },
    ],
    diffs: [{ label: local, before: `${why}\n`, after: `<${args.src} from the host>\n` }],
    summary: `fetch ${args.src} to ${local} (${why})`,
    result,
  });
}
