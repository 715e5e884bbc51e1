// The module registry: YAML key -> module. One file per module, named after its key.
import type { Module } from './types.js';
import alternatives from './alternatives.js';
import apt from './apt.js';
import apt_key from './apt_key.js';
import apt_repository from './apt_repository.js';
import authorized_key from './authorized_key.js';
import blockinfile from './blockinfile.js';
import command from './command.js';
import copy from './copy.js';
import cron from './cron.js';
import debconf from './debconf.js';
import deb822_repository from './deb822_repository.js';
import fetch from './fetch.js';
import file from './file.js';
import find from './find.js';
import get_url from './get_url.js';
import getent from './getent.js';
import git from './git.js';
import group from './group.js';
import hostname from './hostname.js';
import ini_file from './ini_file.js';
import lineinfile from './lineinfile.js';
import locale_gen from './locale_gen.js';
import modprobe from './modprobe.js';
import mount from './mount.js';
import mysql_db from './mysql_db.js';
import mysql_query from './mysql_query.js';
import mysql_replication from './mysql_replication.js';
import mysql_topology from './mysql_topology.js';
import mysql_user from './mysql_user.js';
import mysql_variables from './mysql_variables.js';
import package_ from './package.js';
import package_facts from './package_facts.js';
import pause from './pause.js';
import reboot from './reboot.js';
import replace from './replace.js';
import service from './service.js';
import service_facts from './service_facts.js';
import setup from './setup.js';
import shell from './shell.js';
import slurp from './slurp.js';
import stat from './stat.js';
import sysctl from './sysctl.js';
import systemd from './systemd.js';
import tempfile from './tempfile.js';
import template from './template.js';
import timezone from './timezone.js';
import ufw from './ufw.js';
import unarchive from './unarchive.js';
import uri from './uri.js';
import user from './user.js';
import wait_for from './wait_for.js';

// `any`: each module has its own args type; the engine validates args against module.schema first.
// biome-ignore lint/suspicious/noExplicitAny: each module has its own args type; the engine validates args against module.schema first.
export const modules: Record<string, Module<any>> = {
  alternatives,
  apt,
  apt_key,
  apt_repository,
  authorized_key,
  blockinfile,
  command,
  copy,
  cron,
  debconf,
  deb822_repository,
  fetch,
  file,
  find,
  get_url,
  getent,
  git,
  group,
  hostname,
  ini_file,
  lineinfile,
  locale_gen,
  modprobe,
  mount,
  mysql_db,
  mysql_query,
  mysql_replication,
  mysql_topology,
  mysql_user,
  mysql_variables,
  package: package_,
  package_facts,
  pause,
  reboot,
  replace,
  service,
  service_facts,
  setup,
  shell,
  slurp,
  stat,
  sysctl,
  systemd,
  tempfile,
  template,
  timezone,
  ufw,
  unarchive,
  uri,
  user,
  wait_for,
};
