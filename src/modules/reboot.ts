// reboot: restart the host and wait until it is back (a new boot id over a new connection,
// then test_command), as ansible.builtin.reboot. Always a change; in check mode "would reboot".
// The reboot is started detached from the SSH session (systemd-run), so the exec that starts
// it returns before the host goes down; the executor waits and reconnects (engine/executor.ts).
import { raw, script, sh } from '../sh.js';
import { defineModule, definePlan } from './types.js';

export interface RebootArgs {
  reboot_timeout?: number;
  connect_timeout?: number;
  pre_reboot_delay?: number;
  post_reboot_delay?: number;
  test_command?: string;
  boot_time_command?: string;
  msg?: string;
  reboot_command?: string;
  search_paths?: string[];
}

const BOOT_ID = 'cat /proc/sys/kernel/random/boot_id';

export default defineModule<RebootArgs>({
  name: 'reboot',
  schema: {
    type: 'object',
    properties: {
      reboot_timeout: { type: 'integer', minimum: 1 },
      connect_timeout: { type: 'integer', minimum: 1 },
      pre_reboot_delay: { type: 'integer', minimum: 0 },
      post_reboot_delay: { type: 'integer', minimum: 0 },
      test_command: { type: 'string', minLength: 1 },
      boot_time_command: { type: 'string', minLength: 1 },
      msg: { type: 'string' },
      reboot_command: { type: 'string', minLength: 1 },
      // Ansible searches these for the shutdown binary; plumb runs reboot_command as given.
      search_paths: { type: 'array', items: { type: 'string' } },
    },
    additionalProperties: false,
  },
  facts: () => [],
  plan(args) {
    const boot = args.boot_time_command ?? BOOT_ID;
    const pre = args.pre_reboot_delay ?? 0;
    // Ansible's default on Linux: shutdown -r with the delay and message; here the same,
    // started by systemd outside this session so the exec ends cleanly first.
    const command = args.reboot_command ?? 'systemctl reboot';
    const wall = args.msg ?? 'Reboot initiated by plumb';
    return definePlan({
      changes: [
        {
          description: `reboot (${command})`,
          script: script(raw(boot), sh`wall ${wall} 2>/dev/null || true`, sh`systemd-run --quiet --collect --on-active=${pre + 1} /bin/sh -c ${command}`),
          invalidates: ['*'],
          reboot: {
            bootCommand: raw(boot),
            testCommand: raw(args.test_command ?? 'whoami'),
            timeoutS: args.reboot_timeout ?? 600,
            connectTimeoutS: args.connect_timeout ?? 30,
            postDelayS: args.post_reboot_delay ?? 0,
          },
        },
      ],
      summary: 'reboot',
    });
  },
});
