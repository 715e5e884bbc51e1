// For the tests that compare with Ansible (Debian's ansible-core, a test-only dependency):
// an environment with no ansible.cfg from anywhere, no state in $HOME and no colour.
import { join } from 'node:path';

/** `home` must hold an ansible.cfg (an empty [defaults] is enough) and a tmp/ folder may be made there. */
export function ansibleEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    ANSIBLE_CONFIG: join(home, 'ansible.cfg'),
    ANSIBLE_HOME: home,
    ANSIBLE_LOCAL_TEMP: join(home, 'tmp'),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False',
    LC_ALL: 'C.UTF-8',
  };
}
