// What the two tools manage on the foobar stack's hosts, for the parity check (files,
// plus state that is not a file), and the hand edits of the drift scenario.

export const SITE_PLAYBOOK = 'playbooks/site.yml';
export const LAB_INVENTORY = 'inventory/lab.yml';
export const ANSIBLE_SITE = 'site.yml';

const COMMON = ['/etc/ufw/user.rules', '/etc/ufw/user6.rules', '/etc/ufw/ufw.conf', '/etc/default/ufw'];
const HAPROXY = ['/etc/haproxy/certs', '/etc/haproxy/certs/site.pem', '/etc/haproxy/haproxy.cfg'];
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

/** Generated on the host (a self-signed key): only its owner and mode can match. */
export const ATTRS_ONLY = ['/etc/haproxy/certs/site.pem'];

function svc(names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [`svc:${n}`, `systemctl is-active ${n}; systemctl is-enabled ${n}`]));
}

const MYSQL = 'mysql --no-defaults --protocol=socket -N -B -e';

export function managedPaths(host: string): string[] {
  if (host.startsWith('lb-')) return [...COMMON, ...HAPROXY];
  return [...COMMON, ...MARIADB, ...APP, ...NGINX, ...MONITORING_DB];
}

export function stateProbes(host: string): Record<string, string> {
  const pkgs = `dpkg-query -W -f '\${Package}=\${db:Status-Abbrev}\\n' ufw curl ca-certificates systemd-timesyncd haproxy openssl mariadb-server mariadb-client gunicorn python3-pymysql nginx prometheus-node-exporter 2>/dev/null | sort`;
  const base = { 'pkgs:': pkgs, 'ufw:active': "grep '^ENABLED' /etc/ufw/ufw.conf" };
  if (host.startsWith('lb-')) return { ...base, ...svc(['haproxy', 'prometheus-node-exporter', 'systemd-timesyncd']) };
  return {
    ...base,
    ...svc(['mariadb', 'foobar-app', 'nginx', 'prometheus-node-exporter', 'mysql-replication-metrics.timer', 'systemd-timesyncd']),
    'account:foobar': 'getent passwd foobar | cut -d: -f1,5-7; getent group foobar | cut -d: -f1',
    // Password hashes are hashed again: the comparison needs equality, not the value.
    'mysql:accounts': `${MYSQL} "SELECT user, host, plugin, authentication_string FROM mysql.user ORDER BY user, host" | sha256sum | cut -c1-16`,
    'mysql:grants': `for a in $(${MYSQL} "SELECT CONCAT(QUOTE(user),'@',QUOTE(host)) FROM mysql.user WHERE user IN ('foobar','repl') ORDER BY 1"); do ${MYSQL} "SHOW GRANTS FOR $a" | sed 's/ IDENTIFIED BY PASSWORD .*//'; done`,
    'mysql:databases': `${MYSQL} "SHOW DATABASES"; ${MYSQL} "SHOW TABLES FROM foobar"`,
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
