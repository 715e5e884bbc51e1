// The module registry: YAML key -> module. One file per module, named after its key.
import type { Module } from './types.js';
import apt from './apt.js';
import command from './command.js';
import copy from './copy.js';
import file from './file.js';
import group from './group.js';
import mysql_db from './mysql_db.js';
import mysql_replication from './mysql_replication.js';
import mysql_role from './mysql_role.js';
import mysql_user from './mysql_user.js';
import mysql_variables from './mysql_variables.js';
import service from './service.js';
import shell from './shell.js';
import template from './template.js';
import ufw from './ufw.js';
import user from './user.js';
// File and data modules (issue 13).
import authorized_key from './authorized_key.js';
import blockinfile from './blockinfile.js';
import cron from './cron.js';
import find from './find.js';
import getent from './getent.js';
import ini_file from './ini_file.js';
import lineinfile from './lineinfile.js';
import replace from './replace.js';
import slurp from './slurp.js';
import stat from './stat.js';
import sysctl from './sysctl.js';
import tempfile from './tempfile.js';

// `any`: each module has its own args type; the engine validates args against module.schema first.
export const modules: Record<string, Module<any>> = {
  apt,
  command,
  copy,
  file,
  group,
  mysql_db,
  mysql_replication,
  mysql_role,
  mysql_user,
  mysql_variables,
  service,
  shell,
  template,
  ufw,
  user,
  authorized_key,
  blockinfile,
  cron,
  find,
  getent,
  ini_file,
  lineinfile,
  replace,
  slurp,
  stat,
  sysctl,
  tempfile,
};
