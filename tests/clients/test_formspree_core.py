"""Formspree's own client, @formspree/core from npm, run under Node against POST /f/<key> through its
`endpoint` option: it must read our success and our field errors as it reads Formspree's."""
import json
import subprocess

import pytest
import requests

from tests.npm import package_path
from tests.ports import free_port

pytestmark = pytest.mark.slow

SCRIPT = """
const { createClient } = require(process.argv[1]);
const [endpoint, key] = [process.argv[2], process.argv[3]];
const client = createClient();
(async () => {
  const results = {};
  for (const [name, data] of Object.entries(JSON.parse(process.argv[4]))) {
    const result = await client.submitForm(key, data, { endpoint });
    results[name] = result.kind === "success"
      ? { kind: "success", next: result.next }
      : { kind: result.kind, form: result.getFormErrors(), email: result.getFieldErrors("email") };
  }
  console.log(JSON.stringify(results));
})();
"""


def run_client(npm_dir, endpoint, key, submissions):
    module = package_path(npm_dir, "@formspree/core", "dist", "index.js")
    done = subprocess.run(["node", "-e", SCRIPT, module, endpoint, key, json.dumps(submissions)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_formspree_core_submits_and_reads_the_answers(npm_dir, gunicorn, make_key, secret_key):
    port = free_port()
    base = gunicorn(workers=1, port=port, BASE_URL=f"http://127.0.0.1:{port}")  # the links we give out
    key = make_key(kind="publishable")
    results = run_client(npm_dir, base, key, {
        "ok": {"email": "ada@example.com", "message": "Hello from @formspree/core"},
        "missing": {"message": "no address"},
        "invalid": {"email": "not an address"},
    })
    assert results["ok"]["kind"] == "success" and results["ok"]["next"].startswith(base + "/thanks?k=key_")
    assert results["missing"] == {"kind": "error", "form": [], "email": [
        {"code": "REQUIRED_FIELD_MISSING", "message": "This field is required."}]}
    assert results["invalid"]["email"][0]["code"] == "TYPE_EMAIL"
    stored = requests.get(base + "/v1/contacts", headers={"Authorization": f"Bearer {secret_key}"}, timeout=10).json()
    assert [(c["email"], c["message"]) for c in stored["data"]] == [("ada@example.com", "Hello from @formspree/core")]
    unknown = run_client(npm_dir, base, "ck_pub_unknown", {"ok": {"email": "a@example.com"}})
    assert unknown["ok"]["form"] == [{"code": "FORM_NOT_FOUND", "message": "Form not found"}]
