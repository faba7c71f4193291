"""No secret in any log line: gunicorn's access log (a real gunicorn writing to a file) and the shipped nginx
log format apply one rule (contactapi/redaction.py). Publishable keys are public and may appear."""
import os
import re
import runpy
import time

import requests

from contactapi import magic_links, redaction
from contactapi.extensions import db
from tests.conftest import ROOT

# Everything a log format could print: request line, path, query, referer, credentials in and out.
EVERY_ATOM = ('%(h)s "%(r)s" %(s)s U=%(U)s q=%(q)s f="%(f)s" cookie="%({cookie}i)s" '
              'auth="%({authorization}i)s" setcookie="%({set-cookie}o)s" envcookie="%({HTTP_COOKIE}e)s"')


def _token(app, email="owner@example.com"):
    with app.test_request_context():
        token = magic_links.make(email, "sign_in")
        db.session.remove()
    return token


def _wait_for_lines(path, count, deadline=10):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if os.path.exists(path) and len(open(path).read().splitlines()) >= count:
            break
        time.sleep(0.1)
    return open(path).read()


def test_gunicorns_access_log_carries_no_secret(gunicorn, app, make_key, tmp_path):
    log_path = str(tmp_path / "access.log")
    base = gunicorn(workers=1, GUNICORN_ACCESS_LOG=log_path,
                    GUNICORN_CMD_ARGS=f"--access-logformat '{EVERY_ATOM}'")
    secret_key = make_key("owner@example.com", "secret")
    publishable_key = make_key("owner@example.com", "publishable")
    token = _token(app)
    session = requests.Session()

    page = session.get(f"{base}/link/{token}", timeout=10)  # the confirm page sets the session cookie
    csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text).group(1)
    cookie = session.cookies["session"]
    signed_in = session.post(f"{base}/link/{token}", data={"csrf_token": csrf},
                             headers={"Referer": f"{base}/link/{token}"}, allow_redirects=False, timeout=10)
    assert signed_in.status_code == 303
    signed_in_cookie = session.cookies["session"]
    session.get(f"{base}/dashboard/keys", timeout=10)
    requests.get(f"{base}/v1/contacts", headers={"Authorization": f"Bearer {secret_key}"}, timeout=10)
    requests.get(f"{base}/v1/contacts?access_key={secret_key}&page=1", timeout=10)
    requests.get(f"{base}/v1/contacts?access_key={publishable_key}", timeout=10)
    requests.get(f"{base}/healthz?webhook=whsec_c2VjcmV0IHNpZ25pbmc&cf-turnstile-response=0.captcha-answer",
                 headers={"Referer": f"https://elsewhere.example/page?token=abc123secret"}, timeout=10)

    for quoted in (f"auth=Bearer%20{secret_key}", f"q=%22{secret_key}%22", f"next=/x%3Fkey%3D{secret_key}"):
        requests.get(f"{base}/v1/contacts?{quoted}", timeout=10)  # after a percent-escape: no word boundary

    logged = _wait_for_lines(log_path, 10)
    for secret in (token, secret_key, secret_key.removeprefix("ck_secret_"), cookie, signed_in_cookie,
                   "whsec_c2VjcmV0IHNpZ25pbmc", "captcha-answer", "abc123secret"):
        assert secret not in logged, (secret, logged)
    assert publishable_key in logged  # public: kept, so operators can see which form posted
    assert f"GET /link/{redaction.REDACTED}" in logged and 'auth="[redacted]"' in logged
    assert 'cookie="[redacted]"' in logged and 'envcookie="[redacted]"' in logged


def test_every_route_that_carries_a_secret_is_redacted_by_gunicorn_and_nginx(app):
    """A route declares its token with <secret:…>; its prefix must be in the rule and in deploy/nginx.conf."""
    nginx_conf = open(os.path.join(ROOT, "deploy", "nginx.conf")).read()
    secret_routes = [rule.rule for rule in app.url_map.iter_rules() if "<secret:" in rule.rule]
    assert "/link/<secret:token>" in secret_routes
    for route in secret_routes:
        path = re.sub(r"<[^>]+>", "SECRET-TOKEN.abc", route)
        assert "SECRET-TOKEN" not in redaction.redact(f"GET {path}?x=1 HTTP/1.1"), route
        prefix = route.split("<", 1)[0]
        assert prefix in redaction.TOKEN_PATH_PREFIXES, route
        assert f'"~^({prefix})"' in nginx_conf and f"[^/]*{prefix})" in nginx_conf, route


def test_gunicorns_error_log_quotes_a_malformed_request_line_without_its_secret(gunicorn, make_key, tmp_path):
    import socket
    output = open(tmp_path / "gunicorn.out", "w")
    base = gunicorn(workers=1, output=output)
    secret_key = make_key("owner@example.com", "secret")
    host, port = base.removeprefix("http://").split(":")
    for line in (f"GET /v1/contacts?q=a b&access_key={secret_key} HTTP/1.1",
                 f"GET /v1/contacts?access_key={secret_key}\x01 HTTP/1.1"):
        with socket.create_connection((host, int(port)), timeout=10) as connection:
            connection.sendall(line.encode("latin-1") + b"\r\nHost: x\r\n\r\n")
            connection.recv(4096)  # gunicorn's 400
    end = time.monotonic() + 10
    while time.monotonic() < end and open(tmp_path / "gunicorn.out").read().count("Invalid request from") < 2:
        time.sleep(0.1)
    logged = open(tmp_path / "gunicorn.out").read()
    assert logged.count("Invalid request from") == 2 and redaction.REDACTED in logged, logged
    assert secret_key.removeprefix("ck_secret_") not in logged, logged


def test_the_rule_keeps_what_is_public():
    line = "GET /v1/contacts?access_key=ck_pub_abc&page=2 HTTP/1.1"
    assert redaction.redact(line) == line
    assert redaction.redact("Bearer ck_secret_abc") == "Bearer [redacted]"
    assert redaction.redact("/x?csrf_token=t0k&page=2") == "/x?csrf_token=[redacted]&page=2"
    assert redaction.redact_header("Cookie", "session=abc") == "[redacted]"


def test_an_unexpected_error_on_a_token_route_logs_no_token(client, monkeypatch, caplog):
    def broken(token):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(magic_links, "check", broken)
    response = client.get("/link/SECRET-TOKEN.abc.def")
    assert response.status_code == 500
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Unhandled error on GET /link/[redacted]" in logged and "SECRET-TOKEN" not in logged


def test_the_access_log_redacts_then_escapes_each_value_it_prints_as_gunicorns_own_atoms_do():
    atoms = runpy.run_path(os.path.join(ROOT, "gunicorn.conf.py"))["RedactedAtoms"](
        {"a": 'curl "x" ck_secret_abc"def', "s": 201, "{user-agent}i": "agent", "{authorization}i": "Bearer k"})
    line = '%(a)s|%(s)s|%({User-Agent}i)s|%({Authorization}i)s|%({missing}i)s|%(zz)s' % atoms
    assert line == 'curl \\"x\\" [redacted]\\"def|201|agent|[redacted]|-|-'
