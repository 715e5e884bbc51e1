// get_url: download a URL to a file on the host with curl. The download goes to a temp file
// in dest's directory (or tmp_dest), its checksum is verified there, and only then is it
// renamed over dest: a failed or tampered download never replaces a good file. Credentials
// and headers travel on stdin as a curl config (`curl -K -`), never on the command line.
// Check mode is honest: without a checksum, whether a forced download would change dest
// cannot be known without downloading, and the plan says so.
import { TaskError } from '../errors.js';
import { normalizeMode } from '../facts/file.js';
import { statFact, type ChecksumAlgorithm, type StatInfo } from '../facts/stat.js';
import { raw, script, sh } from '../sh.js';
import { attrLine, ownerSpec, parentDir, pathInvalidates, setAttrsNoFollow } from './common/put-file.js';
import { absPathSchema, fileAttrSchema } from './common/schema.js';
import { steps } from './common/steps.js';
import { defineModule, definePlan, type Change, type Vars } from './types.js';

export interface GetUrlArgs {
  url: string;
  dest: string;
  checksum?: string;
  force?: boolean;
  mode?: string;
  owner?: string;
  group?: string;
  url_username?: string;
  url_password?: string;
  force_basic_auth?: boolean;
  headers?: Record<string, string>;
  timeout?: number;
  validate_certs?: boolean;
  backup?: boolean;
  tmp_dest?: string;
  http_agent?: string;
  use_proxy?: boolean;
  /** Accepted and ignored: the write is always atomic. */
  unsafe_writes?: boolean;
}

const ALGOS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
const SEP = '@@plumb-get_url@@';

/** "sha256:abc…" -> algorithm and lower-case hex; a URL in place of the hex is refused. */
export function parseChecksum(c: string): { algo: ChecksumAlgorithm; hex: string } {
  const at = c.indexOf(':');
  const algo = c.slice(0, at) as ChecksumAlgorithm;
  const hex = c.slice(at + 1).trim();
  if (/^(https?|ftp|file):/i.test(hex))
    throw new TaskError(
      `checksum ${c}: a checksum file fetched from a URL is not supported`,
      `give the digest itself, e.g. checksum: "${algo}:<hex>" (from the vendor's SHA256SUMS)`,
    );
  return { algo, hex: hex.toLowerCase() };
}

const modeOf = (s: StatInfo): string => ((s.rawMode ?? 0) & 0o7777).toString(8).padStart(4, '0');
const isFile = (s: StatInfo): boolean => s.exists && (s.type ?? '').startsWith('regular');

/** What the host prints after a download: "SEP status size sha1 effective-url". */
export function parseDownload(stdout: string, url: string, dest: string): Vars {
  const line = stdout.split('\n').find((l) => l.startsWith(SEP));
  if (!line) return {};
  const [, status = '0', size = '0', sha1 = '', effective = url] = line.split(' ');
  return { status_code: Number(status), size: Number(size), checksum_src: sha1, checksum_dest: sha1, url: effective, dest, msg: `OK (${size} bytes)` };
}

function algoFor(args: GetUrlArgs): ChecksumAlgorithm {
  return args.checksum !== undefined ? (args.checksum.slice(0, args.checksum.indexOf(':')) as ChecksumAlgorithm) : 'sha1';
}

const factOf = (args: GetUrlArgs) => statFact(args.dest, { follow: false, checksum: algoFor(args) });

/** The curl config on stdin: credentials and headers, quoted for curl's config syntax. */
export function curlConfig(args: GetUrlArgs): string {
  const q = (s: string) => `"${s.replace(/["\\]/g, '\\$&').replace(/\n/g, '\\n')}"`;
  const lines = [
    args.url_username !== undefined ? `user = ${q(`${args.url_username}:${args.url_password ?? ''}`)}` : '',
    ...Object.entries(args.headers ?? {}).map(([k, v]) => `header = ${q(`${k}: ${v}`)}`),
    args.http_agent !== undefined ? `user-agent = ${q(args.http_agent)}` : '',
    args.use_proxy === false ? 'noproxy = "*"' : '',
  ];
  return `${lines.filter(Boolean).join('\n')}\n`;
}

export default defineModule<GetUrlArgs>({
  name: 'get_url',
  secretArgs: ['url_password'],
  schema: {
    type: 'object',
    properties: {
      url: { type: 'string', pattern: '^https?://', errorMessage: 'url must start with http:// or https://' },
      dest: absPathSchema,
      checksum: {
        type: 'string',
        allOf: [
          {
            type: 'string',
            pattern: `^(${ALGOS.join('|')}):.+`,
            errorMessage: 'checksum must be "<algorithm>:<hex digest>", algorithm one of md5, sha1, sha224, sha256, sha384, sha512',
          },
          {
            type: 'string',
            not: { type: 'string', pattern: '^[a-z0-9]+:\\s*(https?|ftp|file):' },
            errorMessage: 'checksum from a URL (a SHA256SUMS file) is not supported: give the digest itself, "sha256:<hex>"',
          },
        ],
      },
      force: { type: 'boolean' },
      ...fileAttrSchema,
      url_username: { type: 'string' },
      url_password: { type: 'string' },
      force_basic_auth: { type: 'boolean' },
      headers: { type: 'object', additionalProperties: { type: 'string' } },
      timeout: { type: 'integer', minimum: 1 },
      validate_certs: { type: 'boolean' },
      backup: { type: 'boolean' },
      tmp_dest: absPathSchema,
      http_agent: { type: 'string' },
      use_proxy: { type: 'boolean' },
      unsafe_writes: { type: 'boolean' },
    },
    required: ['url', 'dest'],
    additionalProperties: false,
  },
  facts: (args) => [factOf(args)],
  plan(args, facts) {
    const sum = args.checksum !== undefined ? parseChecksum(args.checksum) : undefined;
    const st = facts.get(factOf(args));
    if (st.exists && !isFile(st))
      throw new TaskError(
        `${args.dest} is a ${st.type}; get_url writes a file`,
        'give the full file path as dest (plumb does not name the file after the URL)',
      );
    const exists = isFile(st);
    const chown = ownerSpec(args.owner, args.group);
    const want = { mode: args.mode !== undefined ? normalizeMode(args.mode) : undefined, owner: args.owner, group: args.group };
    const invalidates = pathInvalidates(args.dest);
    const result: Vars = {
      dest: args.dest,
      url: args.url,
      ...(exists ? { size: st.size } : {}),
      ...(exists && algoFor(args) === 'sha1' ? { checksum_dest: st.checksum } : {}),
    };

    // Why a download is (or is not) needed; check mode shows this reason.
    let why: string | null;
    if (!exists) why = 'dest is absent';
    else if (sum) why = st.checksum === sum.hex ? null : `${sum.algo} of dest differs from the checksum given`;
    else if (args.force === true) why = 'force: yes and no checksum given: cannot know without downloading';
    else why = null; // exists, force: no: Ansible does not download again

    if (why === null) {
      const drift =
        (want.mode !== undefined && modeOf(st) !== want.mode) ||
        (want.owner !== undefined && st.owner !== want.owner) ||
        (want.group !== undefined && st.group !== want.group);
      if (!drift)
        return definePlan({
          summary: sum ? 'in sync (checksum matches)' : 'in sync (dest exists, force: no)',
          result: { ...result, msg: 'file already exists' },
        });
      return definePlan({
        changes: [{ description: `set attributes of ${args.dest}`, script: steps(...setAttrsNoFollow(args.dest, chown, want.mode)), invalidates }],
        diffs: [
          {
            label: `${args.dest} (attributes)`,
            before: attrLine({ owner: st.owner, group: st.group, mode: modeOf(st) }),
            after: attrLine({ owner: want.owner ?? st.owner, group: want.group ?? st.group, mode: want.mode ?? modeOf(st) }),
          },
        ],
        summary: `set attributes of ${args.dest}`,
        result,
      });
    }

    const dir = args.tmp_dest ?? parentDir(args.dest);
    const mode = want.mode ?? (exists ? modeOf(st) : '0644');
    // curl: -f fails on HTTP >= 400; -L follows redirects as Ansible does; validate_certs
    // defaults to true, false is the operator's explicit choice.
    // Ansible's timeout is per network operation, not for the whole download: curl gives up
    // on a connect, or on a transfer stalled (under 1 byte/s), after that many seconds.
    const timeout = args.timeout ?? 10;
    const curl = sh`curl -sS -f -L -K - ${args.validate_certs === false ? ['-k'] : []} --connect-timeout ${timeout} --speed-limit 1 --speed-time ${timeout} -o "$tmp" -w ${'%{http_code} %{url_effective}'} -- ${args.url}`;
    const change: Change = {
      description: `download ${args.url} to ${args.dest}`,
      script: script(
        raw('set -e'),
        sh`tmp=$(mktemp ${`${dir}/.plumb.XXXXXX`})`,
        raw(`trap 'rm -f "$tmp"' EXIT`),
        raw(`if s=$(`),
        curl,
        raw(`); then :; else rc=$?; echo "download failed (curl exit $rc)" >&2; exit $rc; fi`),
        sum &&
          script(
            sh`got=$(${`${sum.algo}sum`} < "$tmp" | cut -d' ' -f1)`,
            sh`if [ "$got" != ${sum.hex} ]; then echo ${`checksum mismatch for ${args.url}: wanted ${sum.algo}:${sum.hex}, got`} "$got" >&2; exit 1; fi`,
          ),
        exists ? sh`chown --reference=${args.dest} "$tmp"` : null,
        chown !== null ? sh`chown ${chown} "$tmp"` : null,
        sh`chmod ${mode} "$tmp"`,
        args.backup && exists ? sh`cp -p ${args.dest} ${args.dest}.$(date +%Y%m%d%H%M%S)~` : null,
        raw(`size=$(stat -c %s "$tmp"); sha1=$(sha1sum < "$tmp" | cut -d' ' -f1)`),
        raw('sync "$tmp"'),
        sh`mv -f "$tmp" ${args.dest}`,
        raw('trap - EXIT'),
        sh`sync ${parentDir(args.dest)} 2>/dev/null || true`,
        raw(`printf '${SEP} %s %s %s %s\\n' "\${s%% *}" "$size" "$sha1" "\${s#* }"`),
      ),
      stdin: curlConfig(args),
      invalidates,
      parse: (o) => parseDownload(o.stdout, args.url, args.dest),
    };
    return definePlan({
      changes: [change],
      diffs: [
        {
          label: args.dest,
          before: exists ? `<${st.size} bytes, ${algoFor(args)} ${st.checksum}>\n` : '',
          after: `<download of ${args.url}${sum ? `, ${sum.algo} ${sum.hex}` : ''}>\n`,
        },
      ],
      summary: `download ${args.url} to ${args.dest} (${why})`,
      result,
    });
  },
});
