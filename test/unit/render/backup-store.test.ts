// Where the off-host copy goes (backup role) and where a restore fetches from (restore
// role), from the inventory's group_vars and the roles' own defaults: the backup store's
// stack address when it is a host of the inventory, else the name given in
// backup_store_host itself (any SSH target, docs/stack.md "Backups"), else nothing.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { renderFile } from '../../../src/render/ejs.js';
import { evaluate, withTemplates } from '../../../src/playbook/expr.js';
import type { Vars } from '../../../src/modules/types.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const load = (p: string): Vars => parse(readFileSync(resolve(ROOT, p), 'utf8')) as Vars;
const all = load('inventory/group_vars/all.yml');
const webservers = load('inventory/group_vars/webservers.yml');
const backup = load('playbooks/roles/backup/defaults.yml');
const restore = load('playbooks/roles/restore/defaults.yml');

/** web-02's variables in the 3-host inventory (lb-01 the monitor), with `extra` as -e. */
function replicaVars(extra: Vars = {}): Vars {
  const hostvars: Record<string, Vars> = {
    'lb-01': { ansible_host: '203.0.113.11', private_address: '10.0.0.11' },
    'web-01': { ansible_host: '203.0.113.21', private_address: '10.0.0.21', mysql_role: 'primary' },
    'web-02': { ansible_host: '203.0.113.22', private_address: '10.0.0.22', mysql_role: 'replica' },
  };
  const groups = { all: Object.keys(hostvars), loadbalancers: ['lb-01'], webservers: ['web-01', 'web-02'], monitors: ['lb-01'] };
  const layers = [all, webservers, backup, restore, extra];
  const vars = { ...all, ...webservers, ...backup, ...restore, ...hostvars['web-02'], ...extra, inventory_hostname: 'web-02', groups, hostvars };
  return withTemplates(vars, layers);
}

describe('the backup store address (backup_offhost, restore_store)', () => {
  it('a store in the inventory is reached at its stack address', () => {
    const v = replicaVars();
    expect(evaluate('backup_offhost', v)).to.equal('10.0.0.11');
    expect(evaluate('restore_store', v)).to.equal('foobar-backup@10.0.0.11:web-02/');
    const conf = renderFile(resolve(ROOT, 'templates/backup/backup.conf.ejs'), v);
    expect(conf).to.match(/^OFFHOST=foobar-backup@10\.0\.0\.11$/m);
  });

  it('a store outside the inventory (any SSH target) is reached by the name given', () => {
    const v = replicaVars({ backup_store_host: 'backups.example.net' });
    expect(evaluate('backup_offhost', v)).to.equal('backups.example.net');
    expect(evaluate('restore_store', v)).to.equal('foobar-backup@backups.example.net:web-02/');
    expect(renderFile(resolve(ROOT, 'templates/backup/backup.conf.ejs'), v)).to.match(/^OFFHOST=foobar-backup@backups\.example\.net$/m);
  });

  it('backup_store_address overrides the address', () => {
    const v = replicaVars({ backup_store_host: 'backups', backup_store_address: '198.51.100.7' });
    expect(evaluate('backup_offhost', v)).to.equal('198.51.100.7');
    expect(evaluate('restore_store', v)).to.equal('foobar-backup@198.51.100.7:web-02/');
  });

  it('no store: no off-host copy, and a restore looks on the host only', () => {
    const v = replicaVars({ backup_store_host: '' });
    expect(evaluate('backup_offhost', v)).to.equal('');
    expect(evaluate('restore_store', v)).to.equal('');
    expect(renderFile(resolve(ROOT, 'templates/backup/backup.conf.ejs'), v)).to.match(/^OFFHOST=$/m);
  });
});
