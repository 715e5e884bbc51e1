import cron, { type CronArgs } from '../../../src/modules/cron.js';
import { runSchemaTable, runTable, type Case } from './table.js';
import { absent, textFile, withText } from './edit-fixtures.js';

const CF = '/etc/cron.d/backup';
const tab = (text: string | null) => ({ 'cron:root': text === null ? { kind: 'none' } : { kind: 'present', text } });

const cases: Case<CronArgs>[] = [
  {
    name: 'user crontab: new job with the #Ansible marker, written with crontab -u',
    args: { name: 'backup', minute: '0', hour: '3', job: '/usr/local/bin/backup' },
    facts: tab(null),
    expect: {
      status: 'changed',
      stdin: '#Ansible: backup\n0 3 * * * /usr/local/bin/backup\n',
      scriptMatches: [/crontab -u root -/],
      diff: [{ label: 'crontab of root', before: '', after: '#Ansible: backup\n0 3 * * * /usr/local/bin/backup\n' }],
    },
  },
  {
    name: 'same job: ok',
    args: { name: 'backup', minute: 0, hour: 3, job: '/b' },
    facts: tab('MAILTO=x\n#Ansible: backup\n0 3 * * * /b\n'),
    expect: { status: 'ok' },
  },
  {
    name: 'changed schedule replaces the job under its marker',
    args: { name: 'backup', hour: '4', minute: '0', job: '/b' },
    facts: tab('#Ansible: backup\n0 3 * * * /b\n#Ansible: other\n* * * * * /o\n'),
    expect: { status: 'changed', stdin: '#Ansible: backup\n0 4 * * * /b\n#Ansible: other\n* * * * * /o\n' },
  },
  {
    name: 'special_time',
    args: { name: 'r', special_time: 'reboot', job: '/r' },
    facts: tab(''),
    expect: { status: 'changed', stdin: '#Ansible: r\n@reboot /r\n' },
  },
  {
    name: 'disabled comments the job out',
    args: { name: 'r', job: '/r', disabled: true },
    facts: tab(''),
    expect: { status: 'changed', stdin: '#Ansible: r\n#* * * * * /r\n' },
  },
  {
    name: 'state absent removes marker and job',
    args: { name: 'backup', state: 'absent' },
    facts: tab('a=1\n#Ansible: backup\n0 3 * * * /b\n'),
    expect: { status: 'changed', stdin: 'a=1\n' },
  },
  {
    name: 'env: a variable line at the top',
    args: { name: 'MAILTO', env: true, job: 'ops@example.com' },
    facts: tab('#Ansible: b\n* * * * * /b\n'),
    expect: { status: 'changed', stdin: 'MAILTO=ops@example.com\n#Ansible: b\n* * * * * /b\n' },
  },
  {
    name: 'cron_file: the user field, a file diff, written atomically',
    args: { name: 'backup', cron_file: 'backup', user: 'postgres', minute: '30', job: '/b' },
    facts: withText(CF, absent),
    expect: {
      status: 'changed',
      stdin: '#Ansible: backup\n30 * * * * postgres /b\n',
      scriptMatches: [/chmod 0644 "\$tmp"/, /mv -f "\$tmp" \/etc\/cron\.d\/backup/],
      diff: [{ label: CF, before: '', after: '#Ansible: backup\n30 * * * * postgres /b\n' }],
    },
  },
  {
    name: 'cron_file in sync: ok',
    args: { name: 'backup', cron_file: '/etc/cron.d/backup', job: '/b' },
    facts: withText(CF, textFile('#Ansible: backup\n* * * * * root /b\n')),
    expect: { status: 'ok' },
  },
  {
    name: 'no crontab command: error saying to install cron',
    args: { name: 'x', job: '/x' },
    facts: { 'cron:root': { kind: 'no-crontab-command' } },
    expect: { status: 'error', error: /crontab is not installed/ },
  },
];

describe('modules/cron', () => {
  runTable(cron, cases);
  runSchemaTable(cron, [
    // geerlingguy.certbot, tasks/renew-cron.yml
    {
      name: 'geerlingguy.certbot renew cron',
      args: { name: 'Certbot automatic renewal.', job: 'certbot renew --quiet', minute: '30', hour: '3', user: 'root' },
      valid: true,
    },
    { name: 'special_time with hour', args: { name: 'x', job: '/x', special_time: 'daily', hour: '3' }, valid: false, message: /special_time replaces/ },
    { name: 'present without job', args: { name: 'x' }, valid: false, message: /needs job/ },
    {
      name: 'cron_file with a dot (cron ignores it)',
      args: { name: 'x', job: '/x', cron_file: 'my.cron' },
      valid: false,
      message: /cron ignores files with dots/,
    },
  ]);
});
