// uri: an HTTP request made from the host with curl. GET/HEAD (the default) is a read. With
// nothing secret to send (no credentials, body or headers: those travel only on stdin, which
// a fact has not), the read is a live fact in the host's batch (facts/live.ts): an answer
// with a wanted status makes the task ok with no exec of its own. Otherwise, or when the
// answer was not wanted, the read is a read-only change, run in check mode too, ok; in check
// mode, when a change that was not applied may alter the answer, the plan says it would read
// again rather than fail on what the check itself left undone. Other methods change something
// remote the plan cannot see: "would change" in check mode. Registers status, content, json,
// url, redirected, msg, as Ansible names them. The body is data: parsed as JSON, never run.
import { liveFact } from '../facts/live.js';
import type { Fact } from '../facts/types.js';
import { script as script_, type Shell, sh } from '../sh.js';
import { defineModule, definePlan } from './types.js';

export interface UriArgs {
  url: string;
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
  body?: string | Record<string, unknown> | unknown[];
  body_format?: 'raw' | 'json' | 'form-urlencoded';
  headers?: Record<string, string>;
  status_code?: number | number[];
  return_content?: boolean;
  timeout?: number;
  validate_certs?: boolean;
  follow_redirects?: 'none' | 'safe' | 'all' | 'urllib2';
  url_username?: string;
  url_password?: string;
  force_basic_auth?: boolean;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
const SEP = '\n@@plumb-uri@@';

export function parseCurl(stdout: string, returnContent: boolean): Record<string, unknown> {
  const at = stdout.lastIndexOf(SEP);
  const content = at < 0 ? stdout : stdout.slice(0, at);
  const [status = '0', url = '', redirects = '0'] = (at < 0 ? '' : stdout.slice(at + SEP.length)).trim().split(' ');
  const r: Record<string, unknown> = { status: Number(status), url, redirected: Number(redirects) > 0, msg: `OK (${content.length} bytes)` };
  try {
    r['json'] = JSON.parse(content) as unknown;
  } catch {
    // not JSON: only content
  }
  if (returnContent || r['json'] === undefined) r['content'] = content;
  return r;
}

/** What the request sends, besides the URL: secrets and headers go in curl's config, on stdin. */
function request(args: UriArgs): { config: string; fetch: Shell; probe: Shell; reads: boolean } {
  const method = args.method ?? 'GET';
  const body =
    args.body === undefined
      ? undefined
      : typeof args.body === 'string'
        ? args.body
        : args.body_format === 'form-urlencoded'
          ? new URLSearchParams(args.body as Record<string, string>).toString()
          : JSON.stringify(args.body);
  const headers = Object.entries({
    ...(args.body_format === 'json' || (body !== undefined && typeof args.body !== 'string' && args.body_format !== 'form-urlencoded')
      ? { 'Content-Type': 'application/json' }
      : {}),
    ...(args.headers ?? {}),
  });
  const follow = (args.follow_redirects ?? 'safe') === 'none' ? [] : ['-L'];
  const q = (v: string) => `"${v.replace(/["\\]/g, '\\$&').replace(/\n/g, '\\n')}"`;
  // Secrets (password, body, headers such as Authorization) travel on stdin as a curl config, never on the command line.
  const config = [
    args.url_username !== undefined ? `user = ${q(`${args.url_username}:${args.url_password ?? ''}`)}` : '',
    body !== undefined ? `data-binary = ${q(body)}` : '',
    ...headers.map(([k, v]) => `header = ${q(`${k}: ${v}`)}`),
  ]
    .filter(Boolean)
    .join('\n');
  // validate_certs defaults to true, as in Ansible; false is the operator's explicit choice.
  const opts = [...(method === 'HEAD' ? ['-I'] : []), ...follow, ...(args.validate_certs === false ? ['-k'] : []), '--max-time', String(args.timeout ?? 30)];
  const written = '%{http_code} %{url_effective} %{num_redirects}';
  // The change keeps the status in $s for its status check; the fact's probe writes nothing on the host.
  const fetch = script_(
    sh`t=$(mktemp) && s=$(curl -sS -K - -X ${method} ${opts} -o "$t" -w ${written} -- ${args.url}) || { rc=$?; rm -f "$t"; exit $rc; }`,
    sh`cat "$t"; rm -f "$t"; printf ${`${SEP}%s\n`} "$s"`,
  );
  const probe = sh`curl -sS -X ${method} ${opts} -w ${`${SEP}${written}\n`} -- ${args.url}`;
  return { config, fetch, probe, reads: READS.has(method) };
}

/** A read with nothing to send on stdin, made in the host's batch: curl's exit code and the parsed answer. */
export const answerFact = (args: UriArgs): Fact<Record<string, unknown>> =>
  liveFact('uri', request(args).probe, (out, code) => ({ ...(code === 0 ? parseCurl(out, args.return_content === true) : { status: -1 }), curl_exit: code }));

const asFact = (args: UriArgs): Fact<Record<string, unknown>> | undefined => {
  const r = request(args);
  return r.reads && r.config === '' ? answerFact(args) : undefined;
};

export default defineModule<UriArgs>({
  name: 'uri',
  secretArgs: ['url_password'],
  schema: {
    type: 'object',
    properties: {
      url: { type: 'string', pattern: '^https?://', errorMessage: 'url must start with http:// or https://' },
      method: { enum: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] },
      body: { anyOf: [{ type: 'string' }, { type: 'object' }, { type: 'array' }] },
      body_format: { enum: ['raw', 'json', 'form-urlencoded'] },
      headers: { type: 'object', additionalProperties: { type: 'string' } },
      status_code: { anyOf: [{ type: 'integer' }, { type: 'array', items: { type: 'integer' } }] },
      return_content: { type: 'boolean' },
      timeout: { type: 'integer', minimum: 1 },
      validate_certs: { type: 'boolean' },
      follow_redirects: { enum: ['none', 'safe', 'all', 'urllib2'] },
      url_username: { type: 'string' },
      url_password: { type: 'string' },
      force_basic_auth: { type: 'boolean' },
    },
    required: ['url'],
    additionalProperties: false,
  },
  facts: (args) => {
    const f = asFact(args);
    return f ? [f] : [];
  },
  plan(args, facts, ctx) {
    const method = args.method ?? 'GET';
    const wanted = args.status_code === undefined ? [200] : Array.isArray(args.status_code) ? args.status_code : [args.status_code];
    const req = request(args);
    const fact = asFact(args);
    if (fact) {
      const { curl_exit: _, ...answer } = facts.get(fact);
      if (wanted.includes(Number(answer['status']))) return definePlan({ summary: `${method} ${args.url}: ${String(answer['status'])}`, result: answer });
    }
    const script = script_(
      req.fetch,
      sh`case ${` ${wanted.join(' ')} `} in *" \${s%% *} "*) ;; *) echo "status \${s%% *} is not one of" ${wanted.join(', ')} >&2; exit 1 ;; esac`,
    );
    // Check mode: the answer read was not wanted, and a change not applied may be why.
    const unknowable = req.reads && fact !== undefined && ctx.mayChange(fact);
    return definePlan({
      changes: [
        {
          description: unknowable ? `${method} ${args.url} (again: a change this check did not apply may alter the answer)` : `${method} ${args.url}`,
          script,
          stdin: `${req.config}\n`,
          invalidates: req.reads ? [] : ['cmd:*'],
          readOnly: req.reads && !unknowable,
          parse: (o) => parseCurl(o.stdout, args.return_content === true),
        },
      ],
      summary: unknowable
        ? `${method} ${args.url} again (a change this check did not apply may alter the answer)`
        : req.reads
          ? `${method} ${args.url}`
          : `${method} ${args.url} (a remote change the plan cannot see)`,
    });
  },
});
