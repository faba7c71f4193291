"""What a web worker imports at startup: libraries only rare routes or other processes need are imported
when first used, so each gunicorn worker does not carry them (issue: peak worker RSS ≤ 80 MB)."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Imported by the code that needs them, never by `import wsgi`: Alembic (and Mako, Pygments) by migrations,
# cryptography by sealed secrets, markdown-it and PyYAML by the API's documents, the PostgreSQL dialect by
# a PostgreSQL engine.
DEFERRED = ["alembic", "mako", "pygments", "flask_migrate", "cryptography", "markdown_it", "yaml",
            "sqlalchemy.dialects.postgresql"]


def _imported_by_wsgi(tmp_path, *statements):
    """The DEFERRED modules present in sys.modules of a fresh process after `import wsgi` and statements."""
    environment = {**os.environ, "CONTACTAPI_ENV": "production", "SECRET_KEY": "startup-imports-test",
                   "DATABASE_URL": f"sqlite:///{tmp_path}/startup.sqlite3", "PYTHONPATH": ROOT}
    program = "\n".join(["import json, sys", "import wsgi", *statements,
                         f"print(json.dumps([m for m in {DEFERRED!r} if m in sys.modules]))"])
    answer = subprocess.run([sys.executable, "-c", program], cwd=ROOT, env=environment, capture_output=True,
                            text=True, timeout=60, check=False)
    assert answer.returncode == 0, answer.stderr
    return json.loads(answer.stdout.splitlines()[-1])


def test_the_app_starts_without_the_libraries_of_rare_routes(tmp_path):
    assert _imported_by_wsgi(tmp_path) == []


def test_the_deferred_libraries_are_imported_when_used(tmp_path):
    # The check above would also pass if the module names were wrong: here each one does arrive.
    assert _imported_by_wsgi(tmp_path, *[
        "with wsgi.app.app_context():",
        "    wsgi.app.extensions['migrate'].migrate",
        "from contactapi import sealed",
        "sealed.derived_key('k', b'info')",
        "wsgi.app.test_client().get('/docs')",
        "from contactapi.database import dialect_module",
        "dialect_module('postgresql')",
    ]) == DEFERRED
