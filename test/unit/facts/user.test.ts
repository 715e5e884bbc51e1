import { expect } from 'chai';
import { groupFact, userFact } from '../../../src/facts/user.js';
import { gather } from './local.js';

describe('facts/user', function () {
  // Real processes on a possibly busy machine: allow more than mocha's 2 s.
  this.timeout(60_000);
  const users: { name: string; stdout: string; code: number; expected: unknown }[] = [
    {
      name: 'present with groups',
      stdout: 'deploy:x:1001:1001:Deploy Bot,,,:/home/deploy:/bin/bash\ndeploy\ndeploy sudo docker\n',
      code: 0,
      expected: {
        kind: 'present',
        uid: 1001,
        gid: 1001,
        comment: 'Deploy Bot,,,',
        home: '/home/deploy',
        shell: '/bin/bash',
        group: 'deploy',
        groups: ['deploy', 'sudo', 'docker'],
      },
    },
    { name: 'absent (getent exits 2)', stdout: '', code: 2, expected: { kind: 'absent' } },
  ];
  for (const c of users) it(`parse user: ${c.name}`, () => expect(userFact('deploy').parse(c.stdout, c.code)).to.deep.equal(c.expected));

  const groups: { name: string; stdout: string; code: number; expected: unknown }[] = [
    { name: 'with members', stdout: 'sudo:x:27:alice,bob\n', code: 0, expected: { kind: 'present', gid: 27, members: ['alice', 'bob'] } },
    { name: 'no members', stdout: 'web:x:2000:\n', code: 0, expected: { kind: 'present', gid: 2000, members: [] } },
    { name: 'absent', stdout: '', code: 2, expected: { kind: 'absent' } },
  ];
  for (const c of groups) it(`parse group: ${c.name}`, () => expect(groupFact('g').parse(c.stdout, c.code)).to.deep.equal(c.expected));

  describe('probes run for real', () => {
    it('root is present with uid 0', () => {
      expect(gather(userFact('root'))).to.deep.include({ kind: 'present', uid: 0, gid: 0, group: 'root', home: '/root' });
    });
    it('a missing user is absent', () => expect(gather(userFact('plumb-nobody-here'))).to.deep.equal({ kind: 'absent' }));
    it('group root is present with gid 0; a missing group is absent', () => {
      expect(gather(groupFact('root'))).to.deep.include({ kind: 'present', gid: 0 });
      expect(gather(groupFact('plumb-no-group'))).to.deep.equal({ kind: 'absent' });
    });
  });
});
