"""deploy/nginx.conf in front of a real gunicorn: Debian's nginx, on loopback ports, with its own temporary
prefix and a self-signed certificate. Slow clients wait in nginx, not in gunicorn's sync workers; the app
still answers 413 in its own shape; the access log carries no secret."""
import getpass
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
import warnings

import pytest
import requests
from sqlalchemy import select

from contactapi import magic_links
from contactapi.extensions import db
from contactapi.models import Contact
from tests.conftest import ROOT
from tests.ports import free_port

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(NGINX is None, reason="nginx is not installed (Debian: apt-get install nginx; .ci/run does)"),
    pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is needed for a test certificate"),
]
SLOW_CLIENTS = 20


def _replace(text, old, new):
    assert old in text, f"deploy/nginx.conf no longer contains {old!r}: update tests/test_nginx.py"
    return text.replace(old, new)


def _site_config(upstream_port, http_port, https_port, folder):
    """deploy/nginx.conf with its ports, certificate and log paths moved into folder."""
    text = open(os.path.join(ROOT, "deploy", "nginx.conf")).read()
    text = _replace(text, "server 127.0.0.1:5000;", f"server 127.0.0.1:{upstream_port};")
    text = _replace(text, "listen 80;", f"listen 127.0.0.1:{http_port};")
    text = _replace(text, "listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    text = _replace(text, "/etc/letsencrypt/live/contacts.example.com/", f"{folder}/")
    text = _replace(text, "/var/log/nginx/", f"{folder}/")
    return _replace(text, "/var/www/letsencrypt", f"{folder}/acme")


@pytest.fixture
def nginx(gunicorn, tmp_path):
    """nginx(**gunicorn_env) → (https base URL, access log path) of nginx in front of a fresh gunicorn."""
    processes = []
    folder = str(tmp_path)
    os.chmod(folder, 0o755)  # nginx's workers may run as another user

    def _start(**env):
        upstream = gunicorn(workers=2, TRUSTED_PROXIES="1", GUNICORN_ACCESS_LOG="", **env)
        http_port, https_port = free_port(), free_port()
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=127.0.0.1", "-keyout", f"{folder}/privkey.pem", "-out", f"{folder}/fullchain.pem"],
                       check=True, capture_output=True)
        with open(f"{folder}/contactapi.conf", "w") as site:
            site.write(_site_config(upstream.rsplit(":", 1)[1], http_port, https_port, folder))
        with open(f"{folder}/nginx.conf", "w") as main:
            main.write(f"""
user {getpass.getuser()};
worker_processes 1;
pid {folder}/nginx.pid;
events {{ worker_connections 512; }}
http {{
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/contactapi.conf;
}}
""")
        command = [NGINX, "-p", folder, "-e", f"{folder}/nginx-error.log", "-c", f"{folder}/nginx.conf",
                   "-g", "daemon off;"]
        processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        base = f"https://127.0.0.1:{https_port}"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/healthz", verify=False, timeout=2).status_code == 200:
                    return base, f"{folder}/contactapi.access.log"
            except requests.RequestException:
                if processes[-1].poll() is not None:
                    raise RuntimeError(f"nginx stopped: {processes[-1].stderr.read().decode()}")
                time.sleep(0.1)
        raise RuntimeError("nginx did not answer")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a self-signed certificate, on purpose
        yield _start
    for process in processes:
        process.terminate()
        process.wait(10)


def _slow_header_clients(port, count, stop):
    """count TLS connections, each sending one header line per second until stop is set."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    sockets = []
    for _ in range(count):
        connection = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5))
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        sockets.append(connection)

    def trickle():
        n = 0
        while not stop.wait(1):
            n += 1
            for connection in sockets:
                try:
                    connection.sendall(f"X-Slow-{n}: {n}\r\n".encode())
                except OSError:
                    pass
        for connection in sockets:
            connection.close()

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    return thread


def test_slow_clients_do_not_starve_the_workers(nginx, make_key, app):
    base, _log = nginx()
    key = make_key()
    stop = threading.Event()
    trickler = _slow_header_clients(int(base.rsplit(":", 1)[1]), SLOW_CLIENTS, stop)
    try:
        time.sleep(2)  # the slow clients are well under way: unproxied, both sync workers would be held now
        started = time.monotonic()
        health = requests.get(f"{base}/healthz", verify=False, timeout=5)
        assert health.status_code == 200 and time.monotonic() - started < 5
        created = requests.post(f"{base}/v1/contacts", json={"email": "slow@example.com", "plan": "pro"},
                                headers={"Authorization": f"Bearer {key}"}, verify=False, timeout=5)
        assert created.status_code == 201
    finally:
        stop.set()
        trickler.join(5)
    with app.app_context():
        stored = db.session.execute(select(Contact.email, Contact.fields)).all()
        db.session.remove()
    assert [(email, fields.get("plan")) for email, fields in stored] == [("slow@example.com", "pro")]


def test_bodies_just_over_the_limit_get_the_apps_own_413(nginx, make_key):
    base, _log = nginx()
    body = {"email": "big@example.com", "note": "x" * (66 * 1024)}
    response = requests.post(f"{base}/v1/contacts", json=body, headers={"Authorization": f"Bearer {make_key()}"},
                             verify=False, timeout=10)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_the_nginx_access_log_carries_no_secret(nginx, make_key, app):
    base, log_path = nginx()
    secret_key, publishable_key = make_key(kind="secret"), make_key(kind="publishable")
    with app.test_request_context():
        token = magic_links.make("owner@example.com", "sign_in")
        db.session.remove()
    get = lambda path, **headers: requests.get(f"{base}{path}", headers=headers, verify=False, timeout=10)  # noqa: E731
    get(f"/link/{token}", Referer=f"{base}/link/{token}")
    get(f"/v1/contacts?page=1&access_key={secret_key}")
    get(f"/v1/contacts?access_key={publishable_key}", Authorization=f"Bearer {secret_key}")
    get("/healthz?signing=whsec_c2VjcmV0", Cookie="session=cookie-value-123")
    time.sleep(0.5)
    logged = open(log_path).read()
    assert len(logged.splitlines()) >= 5  # the readiness check and the four above
    for secret in (token, secret_key, secret_key.removeprefix("ck_secret_"), "whsec_c2VjcmV0", "cookie-value-123"):
        assert secret not in logged, (secret, logged)
    assert "/link/[redacted]" in logged and publishable_key in logged
