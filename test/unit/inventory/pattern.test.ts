import { expect } from 'chai';
import { join } from 'node:path';
import { loadInventory, type Inventory } from '../../../src/inventory/load.js';
import { PatternError, resolvePattern } from '../../../src/inventory/pattern.js';
import { removeTree, tree, yaml } from '../../fixtures/tree.js';

describe('inventory/pattern', () => {
  let dir: string;
  let inv: Inventory;
  before(() => {
    dir = tree({
      'inventory.yml': yaml`
        all:
          hosts:
            bastion:
          children:
            web:
              hosts:
                web-01:
                web-02:
                web-03:
            db:
              children:
                db_primary:
                  hosts:
                    db-01:
                db_replica:
                  hosts:
                    db-02:
            eu:
              hosts:
                web-01:
                db-01:
      `,
    });
    inv = loadInventory(join(dir, 'inventory.yml'));
  });
  after(() => removeTree(dir));

  const cases: Array<[string, string[]]> = [
    ['all', ['bastion', 'web-01', 'web-02', 'web-03', 'db-01', 'db-02']],
    ['*', ['bastion', 'web-01', 'web-02', 'web-03', 'db-01', 'db-02']],
    ['web', ['web-01', 'web-02', 'web-03']],
    ['db', ['db-01', 'db-02']],
    ['db_replica', ['db-02']],
    ['web-02', ['web-02']],
    ['web-0*', ['web-01', 'web-02', 'web-03']],
    ['web-0?', ['web-01', 'web-02', 'web-03']],
    ['db_*', ['db-01', 'db-02']],
    ['web,db_primary', ['web-01', 'web-02', 'web-03', 'db-01']],
    ['web:db_primary', ['web-01', 'web-02', 'web-03', 'db-01']],
    ['db_primary, web-03', ['web-03', 'db-01']],
    ['web,!web-02', ['web-01', 'web-03']],
    ['all,!db', ['bastion', 'web-01', 'web-02', 'web-03']],
    ['!db', ['bastion', 'web-01', 'web-02', 'web-03']],
    ['web,&eu', ['web-01']],
    ['all,&eu,!db', ['web-01']],
    ['&eu', ['web-01', 'db-01']],
    ['web-01,web-01', ['web-01']],
  ];
  for (const [pattern, want] of cases) {
    it(`${JSON.stringify(pattern)} -> ${want.join(', ')}`, () => {
      expect(resolvePattern(inv, pattern)).to.deep.equal(want);
    });
  }

  const unknown: Array<[string, string]> = [
    ['webservers', 'webservers'],
    ['web,dbs', 'dbs'],
    ['web,!nope', 'nope'],
    ['web,&nope', 'nope'],
    ['app-*', 'app-*'],
  ];
  for (const [pattern, term] of unknown) {
    it(`${JSON.stringify(pattern)} -> PatternError naming '${term}'`, () => {
      let err: unknown;
      try {
        resolvePattern(inv, pattern);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(PatternError);
      expect((err as PatternError).term).to.equal(term);
      expect((err as PatternError).message).to.equal(`host pattern '${term}' matches no host or group`);
      expect((err as PatternError).known).to.include.members(['web', 'db', 'web-01']);
    });
  }
});
