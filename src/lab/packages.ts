// What goes into the lab image. The stack's packages are downloaded at image build time
// into a local apt repository inside the image, so `apt-get install` on a lab host works
// offline, exactly as it would from a mirror. Changing either list changes the image hash
// and so triggers one rebuild of the cached rootfs.

/** Installed by debootstrap into every host (what a minimal VPS image has). */
export const BASE_PACKAGES: readonly string[] = [
  'systemd-sysv',
  'dbus',
  'openssh-server',
  'sudo',
  'python3',
  'iproute2',
  'ca-certificates',
  'netbase',
  'procps',
  'curl',
  'iptables',
];

/**
 * Available offline on every host, with all their dependencies and recommends, but NOT
 * installed: the playbooks install them. The stack engineer may append to this list.
 */
export const STACK_PACKAGES: readonly string[] = [
  'haproxy',
  'nginx',
  'mariadb-server',
  'mariadb-client',
  'gunicorn',
  'python3-pymysql',
  'ufw',
  'prometheus-node-exporter',
  'openssl',
  'ssl-cert',
  'systemd-timesyncd',
  // Monitoring (Prometheus, Alertmanager, exporters) and backups (mariadb-backup, rsync).
  'prometheus',
  'prometheus-alertmanager',
  'prometheus-mysqld-exporter',
  'prometheus-nginx-exporter',
  'prometheus-blackbox-exporter',
  'mariadb-backup',
  'rsync',
  // The load balancer pair (two or more load balancers): VRRP floating address.
  'keepalived',
  // The git module's integration test clones from a bare repository on a lab host.
  'git',
  // locale_gen's integration test (all-modules) generates a locale.
  'locales',
];
