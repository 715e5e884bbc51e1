"""www.foobar.com: a small WSGI application served by Gunicorn behind Nginx and HAProxy.

Reads go to the LOCAL database (on the replica host that is its replica, on the primary
host the primary itself); writes go to the PRIMARY, wherever it is. /health never touches
the database, so HAProxy's health check cannot take every web server out of rotation
because of one database fault.

Configuration comes from a KEY=VALUE file (FOOBAR_CONFIG, default /etc/foobar/foobar.conf)
readable by the app user only; the password is never on a command line or in the
process environment. Only the Python standard library and PyMySQL (python3-pymysql).
"""
import json
import os
import socket
import time
from urllib.parse import parse_qs

DEFAULT_CONFIG = "/etc/foobar/foobar.conf"
MAX_BODY = 64 * 1024
MAX_NAME = 200


def load_config(path):
    """Parse KEY=VALUE lines; '#' starts a comment line. Values are taken verbatim."""
    conf = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if sep:
                conf[key.strip()] = value
    return conf


class Database:
    """Two connection targets: `read` (the local server) and `write` (the primary).

    A connection per request keeps workers simple and survives database restarts; over a
    unix socket or a LAN it costs well under a millisecond.
    """

    def __init__(self, conf):
        self.conf = conf

    def _params(self, kind):
        c = self.conf
        params = {
            "user": c.get("DB_USER", "foobar"),
            "password": c.get("DB_PASSWORD", ""),
            "database": c.get("DB_NAME", "foobar"),
            "connect_timeout": float(c.get("DB_CONNECT_TIMEOUT", "2")),
            "read_timeout": 5,
            "write_timeout": 5,
            "autocommit": True,
            "charset": "utf8mb4",
        }
        host = c.get("DB_WRITE_HOST", "") if kind == "write" else ""
        if host:
            params["host"] = host
            params["port"] = int(c.get("DB_WRITE_PORT", "3306"))
        else:
            params["unix_socket"] = c.get("DB_SOCKET", "/run/mysqld/mysqld.sock")
        return params

    def connect(self, kind):
        import pymysql  # imported lazily: /health must work even without the driver

        return pymysql.connect(**self._params(kind))

    def count_items(self):
        with self.connect("read") as conn, conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM items")
            return int(cur.fetchone()[0])

    def recent_items(self, limit):
        with self.connect("read") as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT id, name, created_by FROM items ORDER BY id DESC LIMIT %s", (limit,)
            )
            return [{"id": r[0], "name": r[1], "created_by": r[2]} for r in cur.fetchall()]

    def add_item(self, name, created_by):
        with self.connect("write") as conn, conn.cursor() as cur:
            cur.execute("INSERT INTO items (name, created_by) VALUES (%s, %s)", (name, created_by))
            return int(cur.lastrowid)

    def ping(self, kind):
        with self.connect(kind) as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()


class App:
    def __init__(self, conf, db=None):
        self.conf = conf
        self.server = conf.get("SERVER_NAME") or socket.gethostname()
        self.db = db if db is not None else Database(conf)

    # -- WSGI entry point -------------------------------------------------------------
    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/") or "/"
        routes = {
            ("GET", "/"): self.index,
            ("GET", "/items"): self.list_items,
            ("POST", "/items"): self.create_item,
            ("GET", "/health"): self.health,
            ("GET", "/health/db"): self.health_db,
        }
        handler = routes.get((method, path))
        if handler is None:
            allowed = sorted(m for (m, p) in routes if p == path)
            if allowed:
                status, body, headers = self._json(405, {"error": "method not allowed"})
                headers.append(("Allow", ", ".join(allowed)))
            else:
                status, body, headers = self._json(404, {"error": "not found", "path": path})
        else:
            try:
                status, body, headers = handler(environ)
            except Exception as exc:  # a database fault answers 503, never a stack trace
                status, body, headers = self._json(
                    503, {"error": "database unavailable", "detail": type(exc).__name__}
                )
        headers.append(("X-Served-By", self.server))
        headers.append(("Cache-Control", "no-store"))
        start_response(status, headers)
        return [body]

    # -- handlers ---------------------------------------------------------------------
    def index(self, environ):
        return self._json(200, {"server": self.server, "items": self.db.count_items()})

    def list_items(self, environ):
        return self._json(200, {"server": self.server, "items": self.db.recent_items(20)})

    def create_item(self, environ):
        name = self._read_name(environ)
        if name is None:
            return self._json(400, {"error": "give a non-empty 'name' (JSON or form field, at most %d characters)" % MAX_NAME})
        item_id = self.db.add_item(name, self.server)
        return self._json(201, {"server": self.server, "id": item_id, "name": name})

    def health(self, environ):
        # Liveness only: deliberately no database access (see the module docstring).
        return self._json(200, {"status": "ok", "server": self.server})

    def health_db(self, environ):
        started = time.monotonic()
        self.db.ping("read")
        return self._json(
            200,
            {"status": "ok", "server": self.server, "ms": round((time.monotonic() - started) * 1000, 1)},
        )

    # -- helpers ----------------------------------------------------------------------
    def _read_name(self, environ):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if length <= 0 or length > MAX_BODY:
            return None
        raw = environ["wsgi.input"].read(length)
        ctype = environ.get("CONTENT_TYPE", "")
        try:
            if ctype.startswith("application/json"):
                data = json.loads(raw.decode("utf-8"))
                name = data.get("name") if isinstance(data, dict) else None
            else:
                name = (parse_qs(raw.decode("utf-8")).get("name") or [None])[0]
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(name, str):
            return None
        name = name.strip()
        return name if 0 < len(name) <= MAX_NAME else None

    @staticmethod
    def _json(code, payload):
        reasons = {200: "OK", 201: "Created", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}
        body = (json.dumps(payload) + "\n").encode("utf-8")
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        return "%d %s" % (code, reasons.get(code, "")), body, headers


def create_app(config_path=None):
    return App(load_config(config_path or os.environ.get("FOOBAR_CONFIG", DEFAULT_CONFIG)))


# Gunicorn loads `foobar_app:application`; the config is read once per worker at import.
application = create_app() if os.environ.get("FOOBAR_CONFIG") or os.path.exists(DEFAULT_CONFIG) else None

if __name__ == "__main__":  # local try-out: python3 foobar_app.py CONFIG [PORT]
    import sys
    from wsgiref.simple_server import make_server

    app = create_app(sys.argv[1] if len(sys.argv) > 1 else None)
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8000
    make_server("127.0.0.1", port, app).serve_forever()
