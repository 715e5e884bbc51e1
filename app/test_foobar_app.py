"""Unit tests for foobar_app with a fake database: python3 -m unittest app/test_foobar_app.py"""
import io
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import foobar_app  # noqa: E402


class FakeDB:
    def __init__(self, fail=False):
        self.items = []
        self.fail = fail
        self.touched = False

    def _check(self):
        self.touched = True
        if self.fail:
            raise ConnectionError("db down")

    def count_items(self):
        self._check()
        return len(self.items)

    def recent_items(self, limit):
        self._check()
        return list(reversed(self.items))[:limit]

    def add_item(self, name, created_by):
        self._check()
        self.items.append({"id": len(self.items) + 1, "name": name, "created_by": created_by})
        return len(self.items)

    def ping(self, kind):
        self._check()


def call(app, method, path, body=b"", ctype="application/json"):
    captured = {}

    def start_response(status, headers):
        captured["status"] = status
        captured["headers"] = dict(headers)

    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": ctype,
        "wsgi.input": io.BytesIO(body),
    }
    out = b"".join(app(env, start_response))
    return int(captured["status"].split()[0]), captured["headers"], json.loads(out)


class AppTest(unittest.TestCase):
    def setUp(self):
        self.db = FakeDB()
        self.app = foobar_app.App({"SERVER_NAME": "web-09"}, db=self.db)

    def test_index_names_server_and_counts(self):
        self.db.items = [{"id": 1, "name": "a", "created_by": "x"}]
        code, headers, body = call(self.app, "GET", "/")
        self.assertEqual((code, body), (200, {"server": "web-09", "items": 1}))
        self.assertEqual(headers["X-Served-By"], "web-09")

    def test_post_json_and_form(self):
        self.assertEqual(call(self.app, "POST", "/items", b'{"name": "hello"}')[0], 201)
        self.assertEqual(call(self.app, "POST", "/items", b"name=form", "application/x-www-form-urlencoded")[0], 201)
        self.assertEqual([i["name"] for i in self.db.items], ["hello", "form"])

    def test_post_rejects_bad_bodies(self):
        for body in (b"", b"{}", b'{"name": ""}', b"not json", b'{"name": "' + b"x" * 300 + b'"}'):
            self.assertEqual(call(self.app, "POST", "/items", body)[0], 400, body)
        self.assertEqual(self.db.items, [])

    def test_health_never_touches_db(self):
        self.app.db = FakeDB(fail=True)
        code, _, body = call(self.app, "GET", "/health")
        self.assertEqual((code, body["status"]), (200, "ok"))
        self.assertFalse(self.app.db.touched)

    def test_db_fault_is_503(self):
        self.app.db = FakeDB(fail=True)
        self.assertEqual(call(self.app, "GET", "/")[0], 503)
        self.assertEqual(call(self.app, "GET", "/health/db")[0], 503)

    def test_unknown_and_wrong_method(self):
        self.assertEqual(call(self.app, "GET", "/nope")[0], 404)
        code, headers, _ = call(self.app, "DELETE", "/items")
        self.assertEqual((code, headers["Allow"]), (405, "GET, POST"))

    def test_config_parsing(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("# comment\nSERVER_NAME=web-01\nDB_PASSWORD=a=b#c d\n\n")
        try:
            conf = foobar_app.load_config(f.name)
        finally:
            os.unlink(f.name)
        self.assertEqual(conf, {"SERVER_NAME": "web-01", "DB_PASSWORD": "a=b#c d"})

    def test_write_target_from_config(self):
        db = foobar_app.Database({"DB_WRITE_HOST": "10.0.0.2", "DB_WRITE_PORT": "3307"})
        self.assertEqual((db._params("write")["host"], db._params("write")["port"]), ("10.0.0.2", 3307))
        self.assertIn("unix_socket", db._params("read"))
        self.assertIn("unix_socket", foobar_app.Database({}).__class__({"DB_WRITE_HOST": ""})._params("write"))


if __name__ == "__main__":
    unittest.main()
