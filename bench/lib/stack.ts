// What the two tools manage on the foobar stack's hosts, for the parity check (files,
// plus state that is not a file), and the hand edits of the drift scenario.

import path from 'node:path';
import { LAB_NET } from '../../src/lab/paths.js';
import { REPO } from './paths.js';

export const SITE_PLAYBOOK = 'playbooks/site.yml';
/** The lab of this PLUMB_LAB_SLOT (inventory/lab.yml in slot 0, inventory/lab-N.yml else). */
export const LAB_INVENTORY = path.relative(REPO, LAB_NET.inventory);
export const ANSIBLE_SITE = 'site.yml';

const COMMON = ['/etc/ufw/user.rules', '/etc/ufw/user6.rules', '/etc/ufw/ufw.conf', '/etc/default/ufw'];
const HAPROXY = ['/etc/haproxy/certs', '/etc/haproxy/certs/site.pem', '/etc/haproxy/haproxy.cfg', '/etc/systemd/system/haproxy.service.d/server-state.conf'];
const MARIADB = ['/etc/mysql/mariadb.conf.d/60-foobar.cnf'];
const APP = [
  '/srv/foobar',
  '/srv/foobar/app',
  '/srv/foobar/static',
  '/srv/foobar/app/foobar_app.py',
  '/srv/foobar/static/style.css',
  '/etc/foobar',
  '/etc/foobar/foobar.conf',
  '/etc/systemd/system/foobar-app.service',
];
const NGINX = [
  '/usr/local/sbin/nginx-check-candidate',
  '/etc/nginx/sites-available/foobar',
  '/etc/nginx/sites-enabled/foobar',
  '/etc/nginx/sites-enabled/default',
];
const MONITORING_DB = [
  '/usr/local/sbin/mysql-replication-metrics',
  '/etc/systemd/system/mysql-replication-metrics.service',
  '/etc/systemd/system/mysql-replication-metrics.timer',
];

// The replication health check, both exporters' settings (web servers).
const MONITORING_WEB = [
  '/etc/prometheus',
  '/etc/prometheus/mysqld-exporter.cnf',
  '/etc/default/prometheus-mysqld-exporter',
  '/etc/default/prometheus-nginx-exporter',
];
// The backup role (the replica; on the primary every path is `missing` for both tools).
const BACKUP = [
  '/etc/foobar-backup',
  '/var/backups/mariadb',
  '/usr/local/sbin/foobar-backup',
  '/usr/local/sbin/foobar-backup-key',
  '/etc/foobar-backup/ssh-seed',
  '/etc/foobar-backup/id_ecdsa',
  '/etc/foobar-backup/backup.conf',
  '/etc/systemd/system/foobar-backup.service',
  '/etc/systemd/system/foobar-backup.timer',
];
// The backup store and the prometheus role (the monitor, lb-01 in the lab).
const BACKUP_STORE = [
  '/srv/backups',
  '/srv/backups/.ssh',
  '/srv/backups/.ssh/authorized_keys',
  '/etc/foobar-backup',
  '/usr/local/sbin/foobar-backup-key',
  '/etc/foobar-backup/ssh-seed',
];
const PROMETHEUS = [
  '/etc/prometheus/rules',
  '/etc/prometheus/rules-tests',
  '/usr/local/sbin/promtool-test-rules',
  '/etc/prometheus/rules-tests/foobar.test.yml',
  '/etc/prometheus/rules/foobar.yml',
  '/etc/prometheus/prometheus.yml',
  '/etc/default/prometheus',
  '/etc/prometheus/alertmanager.yml',
  '/etc/default/prometheus-alertmanager',
  '/etc/prometheus/blackbox.yml',
  '/etc/default/prometheus-blackbox-exporter',
];

/** Generated on the host (a self-signed key): only its owner and mode can match. */
export const ATTRS_ONLY = ['/etc/haproxy/certs/site.pem'];

function svc(names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [`svc:${n}`, `systemctl is-active ${n}; systemctl is-enabled ${n}`]));
}

const MYSQL = 'mysql --no-defaults --protocol=socket -N -B -e';

export function managedPaths(host: string): string[] {
  if (host.startsWith('lb-')) return [...COMMON, ...HAPROXY, ...BACKUP_STORE, ...PROMETHEUS];
  return [...COMMON, ...MARIADB, ...APP, ...NGINX, ...MONITORING_DB, ...MONITORING_WEB, ...BACKUP];
}

export function stateProbes(host: string): Record<string, string> {
  const pkgs = `dpkg-query -W -f '\${Package}=\${db:Status-Abbrev}\\n' ufw curl ca-certificates systemd-timesyncd haproxy openssl mariadb-server mariadb-client gunicorn python3-pymysql nginx prometheus-node-exporter prometheus-mysqld-exporter prometheus-nginx-exporter mariadb-backup rsync prometheus prometheus-alertmanager prometheus-blackbox-exporter 2>/dev/null | sort`;
  const base = { 'pkgs:': pkgs, 'ufw:active': "grep '^ENABLED' /etc/ufw/ufw.conf" };
  if (host.startsWith('lb-')) {
    return {
      ...base,
      ...svc(['haproxy', 'prometheus-node-exporter', 'systemd-timesyncd', 'prometheus', 'prometheus-alertmanager', 'prometheus-blackbox-exporter']),
      'account:foobar-backup': 'getent passwd foobar-backup | cut -d: -f1,5-7; getent group foobar-backup | cut -d: -f1',
    };
  }
  return {
    ...base,
    ...svc([
      'mariadb',
      'foobar-app',
      'nginx',
      'prometheus-node-exporter',
      'mysql-replication-metrics.timer',
      'systemd-timesyncd',
      'prometheus-mysqld-exporter',
      'prometheus-nginx-exporter',
      'foobar-backup.timer',
    ]),
    'account:foobar': 'getent passwd foobar | cut -d: -f1,5-7; getent group foobar | cut -d: -f1',
    // Password hashes are hashed again: the comparison needs equality, not the value.
    'mysql:accounts': `${MYSQL} "SELECT user, host, plugin, authentication_string FROM mysql.user ORDER BY user, host" | sha256sum | cut -c1-16`,
    'mysql:grants': `for a in $(${MYSQL} "SELECT CONCAT(QUOTE(user),'@',QUOTE(host)) FROM mysql.user WHERE user IN ('foobar','repl','prometheus') ORDER BY 1"); do ${MYSQL} "SHOW GRANTS FOR $a" | sed 's/ IDENTIFIED BY PASSWORD .*//'; done`,
    'mysql:databases': `${MYSQL} "SHOW DATABASES"; ${MYSQL} "SHOW TABLES FROM foobar"`,
    // What the mariadb role's mysql_variables tasks compare with the running server.
    'mysql:variables': `${MYSQL} "SELECT variable_name, variable_value FROM information_schema.GLOBAL_VARIABLES WHERE variable_name IN ('SERVER_ID','BIND_ADDRESS','PORT','SKIP_NAME_RESOLVE','LOG_BIN','BINLOG_FORMAT','LOG_SLAVE_UPDATES','GTID_STRICT_MODE','SYNC_BINLOG','BINLOG_EXPIRE_LOGS_SECONDS','READ_ONLY') ORDER BY 1" | tr '\\t\\n' '= '`,
    'mysql:replica': `${MYSQL} "SHOW SLAVE STATUS\\G" | grep -E 'Master_Host|Master_User|Using_Gtid|Slave_(IO|SQL)_Running:' | sed 's/^ *//'`,
  };
}

/** Three hand edits, one per host, each in a file a task manages. */
export const DRIFT_EDITS: { host: string; path: string }[] = [
  { host: 'lb-01', path: '/etc/haproxy/haproxy.cfg' },
  { host: 'web-01', path: '/etc/nginx/sites-available/foobar' },
  { host: 'web-02', path: '/etc/mysql/mariadb.conf.d/60-foobar.cnf' },
];

export const DRIFT_LINE = '# hand edit by npm run bench (drift scenario)';
