"""The baseline: a bare Flask app served with the same gunicorn settings as the real one.

GET /bare answers {"ok": true}; POST /bare parses a small JSON body and answers it back.
Every ratio in the benchmark is the real service's throughput over this app's, measured in one run."""
from flask import Flask, request

app = Flask(__name__)
app.config["DELIVERY_EMBEDDED_WORKERS"] = 0  # gunicorn.conf.py starts the outbox's workers in the app it serves


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/bare")
def bare_get():
    return {"ok": True}


@app.post("/bare")
def bare_post():
    body = request.get_json()
    return {"ok": True, "email": body.get("email")}, 201
