"""contactapi: an open-source, self-hostable service that saves contacts."""
import logging
import os

from flask import Flask, request
from flask_babel import get_locale
from werkzeug.middleware.proxy_fix import ProxyFix

from . import database, deliveries, nul_text, ratelimits, redaction, schema_migrations, search, sessions, visitors
# The autoresponders' tables in db.metadata from the first import, as `deliveries` brings its own (migrations
# compare the database with it), rather than whenever a route module happens to import them.
from .autoresponders import models as autoresponder_models  # noqa: F401
from .config import (DEVELOPMENT_SECRET_KEY, ConfigError, DevelopmentConfig, TestConfig, config_from_environment,
                     whole_number)
from .errors import register_errorhandlers
from .extensions import babel, csrf, db, mail
from .security import register_security_headers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _configured(config, overrides):
    """A Flask app holding the config class (default: the one CONTACTAPI_ENV names) and overrides, checked."""
    app = Flask(
        __name__,
        instance_path=os.path.join(ROOT, "instance"),
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    app.config.from_object(config or config_from_environment())
    app.config.update(overrides or {})
    check_config(app)
    return app


def check_settings(config=None, overrides=None):
    """ConfigError, naming the setting, for one the app cannot run with, without building the app: gunicorn
    checks once, in its master, before any worker starts (gunicorn.conf.py). create_app checks the limits
    as it sets them up (ratelimits.init_app)."""
    ratelimits.check_limits(_configured(config, overrides).config)


def create_app(config=None, overrides=None):
    """Build the app from a config class (default: the one CONTACTAPI_ENV names) and overrides."""
    app = _configured(config, overrides)
    register_logging(app)
    register_proxy_fix(app)
    app.json.sort_keys = False  # contacts keep the field order they were sent in
    app.session_interface = sessions.CookieSessionInterface()
    register_extensions(app)
    redaction.register(app)
    nul_text.register(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_commands(app)
    return app


def check_config(app):
    """ConfigError, naming the setting, for one the app cannot run with; the derived settings filled in."""
    if not app.config.get("SECRET_KEY"):
        raise ConfigError("SECRET_KEY must be set to a long random string of your own (see README: Configuration)")
    if app.config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY and app.config["ENVIRONMENT"] != "development":
        raise ConfigError("SECRET_KEY is the public development key, which anyone can use to forge sign-ins: "
                          "set a long random SECRET_KEY of your own (see README: Configuration)")
    # Also when set in code (overrides): a negative count would make ProxyFix trust a hop the client wrote.
    app.config["TRUSTED_PROXIES"] = whole_number("TRUSTED_PROXIES", app.config["TRUSTED_PROXIES"], minimum=0)
    if app.config["ENVIRONMENT"] == "production" and app.config["BASE_URL"].startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True  # served over https: the cookie never travels in clear
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "contactapi.sqlite3")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://") or uri.startswith("postgres://"):
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.split("://", 1)[1]
    if uri.startswith("sqlite"):
        timeout = app.config["SQLITE_BUSY_TIMEOUT"]
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **database.sqlite_engine_options(timeout), **app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        }


def register_logging(app):
    # INFO from the package reaches stderr (Flask's handler on app.logger, named "contactapi"):
    # mails logged instead of sent, notification failures.
    app.logger.setLevel(logging.INFO)


def register_proxy_fix(app):
    # Only behind TRUSTED_PROXIES proxies are X-Forwarded-* believed: the client address that rate
    # limits count is then the one the outermost trusted proxy saw. Without it a forged header changes nothing.
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_extensions(app):
    db.init_app(app)
    with app.app_context():
        database.configure_engine(app, db.engine, app.config["SQLITE_BUSY_TIMEOUT"])
    schema_migrations.init_app(app, db, directory=os.path.join(ROOT, "migrations"),
                               include_name=search.managed_by_models)
    mail.init_app(app)
    csrf.init_app(app)
    # The pages a form's visitor sees speak the visitor's language (Accept-Language); catalogs are
    # contactapi/translations/<lang>/LC_MESSAGES/messages.po, compiled to the committed .mo (make translations).
    babel.init_app(app, locale_selector=lambda: visitors.select_locale(request))
    app.jinja_env.globals["get_locale"] = get_locale
    ratelimits.init_app(app)
    deliveries.init_app(app)


def register_blueprints(app):
    from . import health
    from .api import bp as api_bp
    from .api import docs
    from .forms import bp as forms_bp
    from .keyring import bp as keyring_bp

    app.register_blueprint(health.bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(docs.bp)
    app.register_blueprint(forms_bp)
    app.register_blueprint(keyring_bp)
    csrf.exempt(api_bp)  # key-authenticated, never cookie-authenticated


def register_commands(app):
    from . import cli

    cli.register(app)


__all__ = ["create_app", "DevelopmentConfig", "TestConfig"]
