"""Unbound Flask extensions; create_app binds them with init_app (Flask-Migrate: schema_migrations.py)."""
from flask_babel import Babel
from flask_mail import Mail
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
mail = Mail()
csrf = CSRFProtect()
babel = Babel()
