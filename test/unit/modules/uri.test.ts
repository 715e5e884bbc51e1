import { expect } from 'chai';
import uri, { answerFact, type UriArgs } from '../../../src/modules/uri.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const GET: UriArgs = { url: 'http://127.0.0.1:8000/health' };
const answer = (a: UriArgs, status: number, extra: Record<string, unknown> = {}) => ({ [answerFact(a).key]: { status, curl_exit: 0, ...extra } });

const cases: Case<UriArgs>[] = [
  {
    name: 'a GET read in the batch with a wanted status: ok, the answer registered, no exec',
    args: GET,
    facts: answer(GET, 200, { json: { ready: true } }),
    expect: { status: 'ok', changes: 0, result: { status: 200, json: { ready: true } } },
  },
  {
    name: 'a GET whose batched answer is not wanted: read again as a read-only change (its failure is the real one)',
    args: GET,
    facts: answer(GET, 503),
    expect: { status: 'changed', changes: 1, scriptMatches: [/curl -sS -K - -X GET/, /is not one of/], stdin: '\n' },
  },
  {
    name: 'status_code lists what is wanted',
    args: { ...GET, status_code: [200, 503] },
    facts: answer({ ...GET, status_code: [200, 503] }, 503),
    expect: { status: 'ok', changes: 0 },
  },
  {
    name: 'headers travel on stdin: no batched read, a read-only change',
    args: { ...GET, headers: { Authorization: 'Bearer t0ken' } },
    facts: {},
    expect: { status: 'changed', scriptNotMatches: [/t0ken/], stdin: 'header = "Authorization: Bearer t0ken"\n' },
  },
  {
    name: 'credentials travel on stdin: no batched read',
    args: { ...GET, url_username: 'u', url_password: 'p"w' },
    facts: {},
    expect: { status: 'changed', scriptNotMatches: [/p"w/], stdin: 'user = "u:p\\"w"\n' },
  },
  {
    name: 'a POST: a change with its JSON body on stdin',
    args: { url: 'http://127.0.0.1:8000/x', method: 'POST', body: { a: 1 }, body_format: 'json' },
    facts: {},
    expect: { status: 'changed', invalidates: ['cmd:*'], stdin: 'data-binary = "{\\"a\\":1}"\nheader = "Content-Type: application/json"\n' },
  },
  {
    name: 'check mode, an unapplied change may alter the answer: would read again',
    args: GET,
    facts: answer(GET, 0),
    ctx: { mayChange: () => true },
    expect: { status: 'changed', description: /again: a change this check did not apply/ },
  },
];

describe('modules/uri', () => {
  runTable(uri, cases);
  it("the batched read writes nothing on the host and parses curl's answer", () => {
    const f = answerFact(GET);
    expect(f.key).to.match(/^live:uri:/);
    expect(f.probe.text).not.to.match(/mktemp|-K/);
    expect(f.parse('{"ok":1}\n@@plumb-uri@@200 http://127.0.0.1:8000/health 0\n', 0)).to.deep.include({ status: 200, json: { ok: 1 }, redirected: false });
    expect(f.parse('', 7)).to.deep.equal({ status: -1, curl_exit: 7 });
  });
  it('a read is read-only; in check mode, when it may be wrong, it is not', () => {
    const facts = { get: () => ({ status: 0 }) } as never;
    expect(uri.plan(GET, facts, { mayChange: () => false } as never).changes[0]!.readOnly).to.equal(true);
    expect(uri.plan(GET, facts, { mayChange: () => true } as never).changes[0]!.readOnly).to.equal(false);
  });
  runSchemaTable(uri, [
    { name: 'docs example', args: { url: 'http://www.example.com', return_content: true, status_code: [200, 201] }, valid: true },
    { name: 'no scheme', args: { url: 'www.example.com' }, valid: false, message: /must start with http/ },
  ]);
});
