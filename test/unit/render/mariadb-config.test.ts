// The mariadb role checks the RUNNING server against mysql_server_variables (issue 17); the
// config file it writes must say the same values, or the audit would compare against
// something the file does not set. Rendered here for both roles from the role's own defaults.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { renderFile } from '../../../src/render/ejs.js';
import { evaluate, withTemplates } from '../../../src/playbook/expr.js';
import type { Vars } from '../../../src/modules/types.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const defaults = parse(readFileSync(resolve(ROOT, 'playbooks/roles/mariadb/defaults.yml'), 'utf8')) as Vars;

describe('templates/mariadb/60-foobar.cnf.ejs and mysql_server_variables', () => {
  for (const [role, id] of [
    ['primary', 1],
    ['replica', 2],
  ] as const) {
    it(`${role}: every live-checked variable is set in the config file to the same value`, () => {
      // Operator-written variables (role defaults) are templates: say so, as hostVars() does.
      const vars: Vars = withTemplates(
        {
          ...defaults,
          stack_domain: 'www.foobar.com',
          inventory_hostname: 'web',
          stack_addresses: { web: '10.0.0.5' },
          mysql_port: 3306,
          mysql_role: role,
          mysql_server_id: id,
          ansible_memtotal_mb: 4096,
        },
        [defaults],
      );
      const text = renderFile(resolve(ROOT, 'templates/mariadb/60-foobar.cnf.ejs'), vars);
      const cnf = new Map([...text.matchAll(/^([a-z_]+)\s*=\s*(\S+)\s*$/gm)].map((m) => [m[1]!, m[2]!]));
      expect(cnf.get('innodb_buffer_pool_size'), 'a quarter of the host memory').to.equal('1024M');
      const live = evaluate('mysql_server_variables', vars) as Record<string, unknown>;
      expect(live.read_only).to.equal(role === 'replica' ? 'ON' : 'OFF');
      for (const [k, v] of Object.entries(live)) {
        // log_bin names the binary log's base in the file; the server reports ON.
        if (k === 'log_bin') expect(cnf.get(k), k).to.be.a('string');
        // The fence (defaults.yml): every file says read_only ON and semi-sync primary OFF;
        // only the live primary is switched at runtime, after the topology check.
        else if (k === 'read_only') expect(cnf.get(k), k).to.equal('ON');
        else if (k === 'rpl_semi_sync_master_enabled') expect(cnf.get(k), k).to.equal('OFF');
        else expect(cnf.get(k), k).to.equal(String(v));
      }
      for (const k of evaluate('mysql_static_variables', vars) as string[]) expect(live, k).to.have.property(k);
    });
  }
});
