"""flask keys … and flask contacts export, through the real CLI."""
import csv
import io
import json

import pytest


def create_key(runner, *args):
    result = runner.invoke(args=["keys", "create", *args])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def test_keys_create_prints_a_working_key_last(runner, client):
    key = create_key(runner, "--email", "Owner@Example.com", "--kind", "secret")
    assert key.startswith("ck_secret_")
    assert client.get("/v1/contacts", headers={"Authorization": f"Bearer {key}"}).status_code == 200


def test_keys_create_publishable_with_domains_and_list(runner):
    key = create_key(runner, "--email", "o@example.com", "--kind", "publishable",
                     "--domain", "https://WWW.Example.com/", "--domain", "bücher.example")
    secret = create_key(runner, "--email", "o@example.com", "--kind", "secret")
    listing = runner.invoke(args=["keys", "list", "--email", "O@example.com"]).output
    assert key in listing  # publishable keys are public by design
    assert secret not in listing and secret[-4:] in listing  # secret keys only masked
    assert "www.example.com,xn--bcher-kva.example" in listing


def test_keys_create_refuses_bad_input(runner):
    assert runner.invoke(args=["keys", "create", "--email", "nope", "--kind", "secret"]).exit_code != 0
    assert runner.invoke(args=["keys", "create", "--email", "a@example.com", "--kind", "other"]).exit_code != 0
    result = runner.invoke(args=["keys", "create", "--email", "a@example.com", "--kind", "publishable",
                                 "--domain", "not a domain"])
    assert result.exit_code != 0 and "not a domain" in result.output


@pytest.mark.parametrize("kind, domain, refusal", [
    ("publishable", "bad domain!", "bad domain!"),
    ("secret", "example.com", "Only publishable keys can be locked to domains."),  # the dashboard's rule
])
def test_keys_create_refuses_domains_before_creating_the_account(runner, kind, domain, refusal):
    result = runner.invoke(args=["keys", "create", "--email", "new@example.com", "--kind", kind, "--domain", domain])
    assert result.exit_code != 0 and refusal in result.output
    listed = runner.invoke(args=["keys", "list", "--email", "new@example.com"])
    assert listed.exit_code != 0 and "No account for new@example.com." in listed.output
    create_key(runner, "--email", "new@example.com", "--kind", "secret")
    listing = runner.invoke(args=["keys", "list", "--email", "new@example.com"]).output
    assert listing.count("\tsecret\t") == 1 and "\tany domain\t" in listing


def test_eleventh_active_key_is_refused(runner):
    for _ in range(10):
        create_key(runner, "--email", "many@example.com", "--kind", "secret")
    result = runner.invoke(args=["keys", "create", "--email", "many@example.com", "--kind", "secret"])
    assert result.exit_code != 0
    assert "You have reached the maximum of 10 active keys." in result.output


def test_keys_disable(runner, client):
    key = create_key(runner, "--email", "o@example.com", "--kind", "secret")
    key_id = runner.invoke(args=["keys", "list", "--email", "o@example.com"]).output.split("\t")[0]
    result = runner.invoke(args=["keys", "disable", key_id])
    assert result.exit_code == 0
    assert client.get("/v1/contacts", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    assert runner.invoke(args=["keys", "disable", "key_unknown"]).exit_code != 0


def test_contacts_export_csv_and_json(runner, client, tmp_path):
    key = create_key(runner, "--email", "o@example.com", "--kind", "secret")
    headers = {"Authorization": f"Bearer {key}"}
    client.post("/v1/contacts", json={"email": "a@example.com", "name": "=HYPERLINK(\"x\")", "tags": ["a", "b"]},
                headers=headers)
    client.post("/v1/contacts", json={"email": "b@example.com", "note": "-1+1", "plain": "hello"}, headers=headers)
    out = tmp_path / "contacts.csv"
    result = runner.invoke(args=["contacts", "export", "--email", "o@example.com", "--format", "csv", "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["email"] for r in rows] == ["b@example.com", "a@example.com"]
    assert rows[1]["name"] == "'=HYPERLINK(\"x\")" and rows[0]["note"] == "'-1+1" and rows[0]["plain"] == "hello"
    assert json.loads(rows[1]["tags"]) == ["a", "b"]
    exported = json.loads(runner.invoke(args=["contacts", "export", "--email", "o@example.com", "--format", "json"]).output)
    assert [c["email"] for c in exported] == ["b@example.com", "a@example.com"]
    assert exported[1]["name"] == "=HYPERLINK(\"x\")"  # JSON keeps the value exactly


def test_contacts_export_unknown_account(runner):
    result = runner.invoke(args=["contacts", "export", "--email", "nobody@example.com"])
    assert result.exit_code != 0 and "No account" in result.output


@pytest.mark.parametrize("command", [["keys", "list", "--email", "o@example.com"],
                                     ["deliveries", "work", "--once"], ["spam", "prune"]])
def test_a_database_without_schema_is_one_line_not_a_traceback(make_app, tmp_path, command):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/never-migrated.sqlite3")
    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 1
    assert result.output.startswith("Error: The database cannot be used: no such table: ")
    assert "db upgrade" in result.output and "SELECT" not in result.output


@pytest.mark.parametrize("command", [["db", "upgrade"], ["db", "current"],
                                     ["keys", "create", "--email", "o@example.com", "--kind", "secret"]])
def test_a_database_in_a_missing_folder_is_one_line_not_a_traceback(make_app, tmp_path, command):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/no-such-folder/contacts.sqlite3")
    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: The database cannot be used: ") and "Traceback" not in result.output


def test_contacts_export_refuses_a_search_too_long_for_one(runner, client):
    runner.invoke(args=["keys", "create", "--email", "o@example.com", "--kind", "secret"])
    for query in ("a b c d e f g h i j", "x" * 201):
        result = runner.invoke(args=["contacts", "export", "--email", "o@example.com", "--search", query])
        assert result.exit_code == 2 and "Invalid value for --search: Search for at most" in result.output
