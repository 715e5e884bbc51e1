-- foobar schema. Applied on the PRIMARY only (by the mysql_db task's schema_src) and reaches
-- the replica through replication. Every statement must be idempotent: the module runs the
-- whole file again whenever a table it creates is missing.
CREATE TABLE IF NOT EXISTS items (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  created_by VARCHAR(64) NOT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
