// uri: an HTTP request made from the host with curl. GET/HEAD (the default) is a read:
// a read-only change, run in check mode too, ok. Other methods change something remote
// the plan cannot see: "would change" in check mode. Registers status, content, json,
// url, redirected, msg, as Ansible names them. The body is data: parsed as JSON, never run.
import { script as script_, sh } from '../sh.js';
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
  facts: () => [],
  plan(args) {
    const method = args.method ?? 'GET';
    const wanted = args.status_code === undefined ? [200] : Array.isArray(args.status_code) ? args.status_code : [args.status_code];
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
    }).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
    const follow = (args.follow_redirects ?? 'safe') === 'none' ? [] : ['-L'];
    // Secrets (password, body) travel on stdin as a curl config, never on the command line.
    const config = [
      args.url_username !== undefined ? `user = "${`${args.url_username}:${args.url_password ?? ''}`.replace(/["\\]/g, '\\$&')}"` : '',
      body !== undefined ? `data-binary = "${body.replace(/["\\]/g, '\\$&').replace(/\n/g, '\\n')}"` : '',
    ]
      .filter(Boolean)
      .join('\n');
    // validate_certs defaults to true, as in Ansible; false is the operator's explicit choice.
    const script = script_(
      sh`t=$(mktemp) && s=$(curl -sS -K - -X ${method} ${method === 'HEAD' ? ['-I'] : []} ${follow} ${args.validate_certs === false ? ['-k'] : []} --max-time ${args.timeout ?? 30} ${headers} -o "$t" -w ${'%{http_code} %{url_effective} %{num_redirects}'} -- ${args.url}) || { rc=$?; rm -f "$t"; exit $rc; }`,
      sh`cat "$t"; rm -f "$t"; printf ${`${SEP}%s\n`} "$s"`,
      sh`case ${` ${wanted.join(' ')} `} in *" \${s%% *} "*) ;; *) echo "status \${s%% *} is not one of" ${wanted.join(', ')} >&2; exit 1 ;; esac`,
    );
    return definePlan({
      changes: [
        {
          description: `${method} ${args.url}`,
          script,
          stdin: `${config}\n`,
          invalidates: READS.has(method) ? [] : ['cmd:*'],
          readOnly: READS.has(method),
          parse: (o) => parseCurl(o.stdout, args.return_content === true),
        },
      ],
      summary: READS.has(method) ? `${method} ${args.url}` : `${method} ${args.url} (a remote change the plan cannot see)`,
    });
  },
});
