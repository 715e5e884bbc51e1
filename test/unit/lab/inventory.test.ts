import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { writeInventory, type InventoryHost, type PairVars } from '../../../src/lab/inventory.js';

const host = (name: string, group: string, n: number): InventoryHost => ({ name, group, sshHost: `10.0.0.${n}`, port: 22, address: `10.0.0.${n}` });

describe('lab/inventory', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-inv-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  type Groups = Record<string, { hosts: Record<string, unknown>; vars?: Record<string, unknown> }>;
  const groupsOf = async (hosts: InventoryHost[], pair?: PairVars): Promise<Groups> => {
    const file = join(dir, 'lab.yml');
    await writeInventory(file, '/k', hosts, 'test', pair);
    return (parse(readFileSync(file, 'utf8')) as { all: { children: Groups } }).all.children;
  };

  it('the monitors group is the last load balancer: lb-01 of one, with no variables of its own', async () => {
    const g = await groupsOf([host('lb-01', 'loadbalancers', 11), host('web-01', 'webservers', 21)]);
    expect(g.monitors).to.deep.equal({ hosts: { 'lb-01': {} } });
    expect(g.loadbalancers?.hosts['lb-01']).to.deep.equal({ ansible_host: '10.0.0.11', ansible_port: 22 });
  });

  it('lb-02 with two load balancers; no monitors group without load balancers', async () => {
    expect((await groupsOf([host('lb-01', 'loadbalancers', 11), host('lb-02', 'loadbalancers', 12)])).monitors).to.deep.equal({ hosts: { 'lb-02': {} } });
    expect(await groupsOf([host('n-001', 'fleet', 31)])).not.to.have.property('monitors');
  });

  it('a pair gets the floating address and one shared certificate; a single load balancer gets nothing', async () => {
    const pair = { vip: '10.0.0.10', certFile: '/s/site.pem' };
    const two = await groupsOf([host('lb-01', 'loadbalancers', 11), host('lb-02', 'loadbalancers', 12)], pair);
    expect(two.loadbalancers?.vars).to.deep.equal({
      keepalived_vip: '10.0.0.10',
      haproxy_tls_operator_cert: true,
      haproxy_tls_pem_secret: { secret_file: '/s/site.pem' },
    });
    expect((await groupsOf([host('lb-01', 'loadbalancers', 11)], pair)).loadbalancers).not.to.have.property('vars');
  });
});
