// The module registry: YAML key -> module. One file per module, named after its key.
import type { Module } from './types.js';
import apt from './apt.js';
import command from './command.js';
import copy from './copy.js';
import file from './file.js';
import group from './group.js';
import mysql_db from './mysql_db.js';
import mysql_replication from './mysql_replication.js';
import mysql_user from './mysql_user.js';
import mysql_variables from './mysql_variables.js';
import service from './service.js';
import shell from './shell.js';
import template from './template.js';
import alternatives from './alternatives.js';
import hostname from './hostname.js';
import locale_gen from './locale_gen.js';
import modprobe from './modprobe.js';
import package_ from './package.js';
import package_facts from './package_facts.js';
import service_facts from './service_facts.js';
import setup from './setup.js';
import systemd from './systemd.js';
import timezone from './timezone.js';
import pause from './pause.js';
import wait_for from './wait_for.js';
import ufw from './ufw.js';
import user from './user.js';
import uri from './uri.js';

// `any`: each module has its own args type; the engine validates args against module.schema first.
export const modules: Record<string, Module<any>> = {
  apt,
  command,
  copy,
  file,
  group,
  mysql_db,
  mysql_replication,
  mysql_user,
  mysql_variables,
  service,
  shell,
  template,
  alternatives,
  hostname,
  locale_gen,
  modprobe,
  package: package_,
  package_facts,
  service_facts,
  setup,
  systemd,
  timezone,
  pause,
  wait_for,
  ufw,
  user,
  uri,
};
