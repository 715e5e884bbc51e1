import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { PlumbEvent } from '../../../src/report/events.js';
import { junitReporter } from '../../../src/report/junit.js';

const XSD = resolve(import.meta.dirname, '../../../../test/fixtures/junit.xsd');

const task = (over: Partial<Extract<PlumbEvent, { type: 'task' }>>): PlumbEvent => ({
  type: 'task',
  host: 'web-01',
  play: 'site',
  task: 'config',
  handler: false,
  status: 'ok',
  durationMs: 5,
  ...over,
});
const recap = (hosts: string[]): PlumbEvent => ({
  type: 'recap',
  mode: 'check',
  hosts: Object.fromEntries(hosts.map((h) => [h, { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: false, execs: 1, durationMs: 10 }])),
  durationMs: 1234,
});

function report(mode: 'apply' | 'check', events: PlumbEvent[], hosts = ['web-01']): string {
  const r = junitReporter({ now: () => new Date('2026-12-02T06:00:00Z') });
  r.emit({ type: 'run', mode, playbook: 'site.yml', hosts });
  events.forEach(r.emit);
  r.emit(recap(hosts));
  return r.xml()!;
}

/** Validate with a real XML schema validator (libxml2's xmllint, from scripts/prereqs.txt). */
function validate(xml: string): { ok: boolean; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'plumb-junit-'));
  try {
    writeFileSync(join(dir, 'r.xml'), xml);
    const r = spawnSync('xmllint', ['--noout', '--schema', XSD, join(dir, 'r.xml')], { encoding: 'utf8' });
    if (r.error) throw new Error(`xmllint is needed for this test (apt-get install libxml2-utils): ${r.error.message}`);
    return { ok: r.status === 0, out: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const diff = [{ label: '/etc/a', before: 'x\n', after: 'y\n' }];

describe('report/junit', () => {
  const cases: Array<{ name: string; mode: 'apply' | 'check'; events: PlumbEvent[]; hosts?: string[]; has: string[]; lacks?: string[] }> = [
    {
      name: 'check: in sync is a passing case',
      mode: 'check',
      events: [task({ status: 'ok', message: 'in sync' })],
      has: ['<testcase classname="web-01.site" name="config" time="0.005"/>', 'tests="1" failures="0" errors="0"'],
    },
    {
      name: 'check: drift is a failure carrying the diff (fail_on_change)',
      mode: 'check',
      events: [task({ status: 'changed', message: 'would update /etc/a', diff })],
      has: ['<failure type="drift" message="would update /etc/a">would update /etc/a\n--- /etc/a (before)', '-x\n+y', 'failures="1"'],
    },
    {
      name: 'apply: a change passes, its message in system-out',
      mode: 'apply',
      events: [task({ status: 'changed', message: 'update /etc/a' })],
      has: ['<system-out>update /etc/a</system-out>', 'failures="0" errors="0"'],
      lacks: ['<failure'],
    },
    {
      name: 'a failed task is an error',
      mode: 'apply',
      events: [task({ status: 'failed', message: 'boom (exit 1)\nstderr line' })],
      has: ['<error type="failed" message="boom (exit 1)">boom (exit 1)\nstderr line</error>', 'errors="1"'],
    },
    {
      name: 'an unreachable host is an error',
      mode: 'check',
      events: [task({ play: '', task: 'connect', status: 'unreachable', message: 'refused' })],
      has: ['<error type="unreachable" message="refused">', 'errors="1"'],
    },
    {
      name: 'skipped',
      mode: 'check',
      events: [task({ status: 'skipped', message: 'condition false' })],
      has: ['<skipped message="condition false"/>', 'skipped="1"'],
    },
    {
      name: 'loop items fold into one case, the worst wins',
      mode: 'check',
      events: [task({ item: 'a', status: 'ok' }), task({ item: 'b', status: 'changed', message: 'would add b' }), task({ item: 'c', status: 'skipped' })],
      has: ['tests="1" failures="1"', '<failure type="drift" message="(item=b) would add b">'],
    },
    {
      name: 'a loop with one skipped item and one ok item is ok',
      mode: 'check',
      events: [task({ item: 'a', status: 'skipped' }), task({ item: 'b', status: 'ok' })],
      has: ['skipped="0"'],
      lacks: ['<skipped'],
    },
    {
      name: 'handlers are named as such',
      mode: 'apply',
      events: [task({ handler: true, task: 'reload nginx', status: 'changed' })],
      has: ['name="handler: reload nginx"'],
    },
    {
      name: 'one suite per host',
      mode: 'check',
      hosts: ['lb-01', 'web-01'],
      events: [task({ host: 'lb-01' }), task({ host: 'web-01', status: 'changed' })],
      has: [
        '<testsuite name="lb-01" hostname="lb-01" tests="1" failures="0"',
        '<testsuite name="web-01" hostname="web-01" tests="1" failures="1"',
        '<testsuites name="plumb check site.yml" tests="2" failures="1" errors="0" time="1.234">',
      ],
    },
    {
      name: 'markup and control characters in messages are escaped or dropped',
      mode: 'check',
      events: [task({ task: 'a <b> & "c"', status: 'changed', message: 'x\u0001y </failure>' })],
      has: ['name="a &lt;b&gt; &amp; &quot;c&quot;"', 'xy &lt;/failure&gt;'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const xml = report(c.mode, c.events, c.hosts);
      for (const h of c.has) expect(xml).to.contain(h);
      for (const l of c.lacks ?? []) expect(xml).to.not.contain(l);
      const v = validate(xml);
      expect(v.ok, `${v.out}\n${xml}`).to.equal(true);
    });
  }
  it('the schema check itself refuses a report without the required counts', () => {
    expect(validate('<?xml version="1.0"?>\n<testsuites><testsuite name="x"><testcase name="t"/></testsuite></testsuites>\n').ok).to.equal(false);
  });
  it('no report before the recap', () => {
    const r = junitReporter();
    r.emit(task({}));
    expect(r.xml()).to.equal(undefined);
  });
});
