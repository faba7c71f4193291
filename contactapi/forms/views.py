"""Pages a visitor's browser lands on after posting a form."""
from flask import render_template

from . import bp


@bp.get("/thanks")
def thanks():
    return render_template("forms/thanks.html")
