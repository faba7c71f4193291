"""A setting the app cannot run with stops it at startup, and the last line the operator reads names it."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _environment(tmp_path, settings):
    environment = {**os.environ, "CONTACTAPI_ENV": "production", "SECRET_KEY": "config-test",
                   "DATABASE_URL": f"sqlite:///{tmp_path}/config.sqlite3", **settings}
    return {name: value for name, value in environment.items() if value is not None}


def _start_with(tmp_path, **settings):
    """`flask --app wsgi routes` in a fresh process (settings are read at import): its exit code and last line."""
    answer = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "routes"], cwd=ROOT,
                            env=_environment(tmp_path, settings), capture_output=True, text=True, timeout=60,
                            check=False)
    return answer.returncode, (answer.stderr.strip().splitlines() or [""])[-1]


@pytest.mark.parametrize("settings, message", [
    ({"MAIL_PORT": "abc"}, "MAIL_PORT must be a whole number, not 'abc'"),
    ({"MAX_ACTIVE_KEYS": "ten"}, "MAX_ACTIVE_KEYS must be a whole number, not 'ten'"),
    ({"TRUSTED_PROXIES": "-1"}, "TRUSTED_PROXIES must be a whole number of at least 0, not '-1'"),
    ({"DELIVERY_POLL_INTERVAL": "soon"}, "DELIVERY_POLL_INTERVAL must be a number of seconds above 0, not 'soon'"),
    ({"DELIVERY_POLL_INTERVAL": "0"}, "DELIVERY_POLL_INTERVAL must be a number of seconds above 0, not '0'"),
    ({"DELIVERY_MAX_LAG": "nan"}, "DELIVERY_MAX_LAG must be a number of seconds of at least 0, not 'nan'"),
    ({"DELIVERY_BATCH": "0"}, "DELIVERY_BATCH must be a whole number of at least 1, not '0'"),
    ({"CONTACTAPI_ENV": "prod"}, "CONTACTAPI_ENV must be one of development, testing, production, not 'prod'"),
    ({"RATELIMIT_PUBLIC_IP": "lots"}, "RATELIMIT_PUBLIC_IP must be a rate limit such as \"60/minute\""),
    ({"SECRET_KEY": None}, "SECRET_KEY must be set to a long random string of your own"),
])
def test_a_setting_the_app_cannot_run_with_is_named_on_the_last_line(tmp_path, settings, message):
    exit_code, last_line = _start_with(tmp_path, **settings)
    assert exit_code != 0
    assert last_line.startswith(f"contactapi.config.ConfigError: {message}"), last_line


def test_the_settings_as_documented_start(tmp_path):
    assert _start_with(tmp_path, MAIL_PORT="587", TRUSTED_PROXIES="1", DELIVERY_POLL_INTERVAL="0.5") == (0, "")



@pytest.mark.parametrize("settings, message", [
    ({"SECRET_KEY": None}, "SECRET_KEY must be set"), ({"RATELIMIT_PUBLIC_IP": "lots"}, "RATELIMIT_PUBLIC_IP must be")])
def test_gunicorn_stops_before_any_worker_with_one_line_naming_the_setting(tmp_path, settings, message):
    # Checked once, in the master (gunicorn.conf.py on_starting): no worker prints its traceback, and gunicorn's
    # own "Worker failed to boot" does not come last.
    answer = subprocess.run([sys.executable, "-m", "gunicorn", "-w", "3", "-b", "127.0.0.1:0", "wsgi:app"], cwd=ROOT,
                            env=_environment(tmp_path, settings), capture_output=True, text=True,
                            timeout=60, check=False)
    assert answer.returncode == 1
    assert answer.stderr.strip().splitlines()[-1].startswith(f"contactapi.config.ConfigError: {message}"), answer.stderr
    assert "Traceback" not in answer.stderr and "Booting worker" not in answer.stderr


@pytest.mark.parametrize("settings, message", [
    ({"GUNICORN_TIMEOUT": "30s"}, "GUNICORN_TIMEOUT must be a whole number of at least 0, not '30s'"),
    ({"GUNICORN_THREADS": "two"}, "GUNICORN_THREADS must be a whole number of at least 1, not 'two'"),
    ({"GUNICORN_KEEPALIVE": "5.5"}, "GUNICORN_KEEPALIVE must be a whole number of at least 0, not '5.5'"),
])
def test_gunicorn_names_a_setting_of_its_own_it_cannot_run_with(tmp_path, settings, message):
    answer = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", "127.0.0.1:0",
                             "wsgi:app"], cwd=ROOT, env=_environment(tmp_path, settings), capture_output=True,
                            text=True, timeout=60, check=False)
    assert answer.returncode != 0
    assert answer.stderr.strip().splitlines()[-1] == f"contactapi.config.ConfigError: {message} (see README: Configuration)"
