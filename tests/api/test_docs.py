"""GET /docs: the API reference rendered on the server from the OpenAPI document, with nothing from elsewhere."""
import re

from markupsafe import escape

from contactapi.api.reference import prose


def test_docs_describe_every_operation_and_schema(client):
    page = client.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    document = client.get("/v1/openapi.json").get_json()
    for item in document["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "operationId" in operation:
                assert f'id="{operation["operationId"]}"' in html
                assert str(escape(operation["summary"])) in html
    for name in document["components"]["schemas"]:
        assert f'id="schema-{name}"' in html
    for code in document["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["examples"]:
        assert f"<code>{code}</code>" in html
    assert "http://localhost" in html  # the server, from BASE_URL


def test_docs_load_nothing_from_another_site(client):
    html = client.get("/docs").get_data(as_text=True)
    loaded = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="([^"]+)"', html)
    assert loaded and all(url.startswith("/") and not url.startswith("//") for url in loaded)
    assert "<script>" not in html  # no inline script either (the CSP forbids it)


def test_links_between_operations_point_at_them(client):
    html = client.get("/docs").get_data(as_text=True)
    for target in re.findall(r'Then <a href="#(\w+)">', html):
        assert f'id="{target}"' in html


def test_home_page_links_to_docs(client):
    assert 'href="/docs"' in client.get("/").get_data(as_text=True)


def test_document_prose_cannot_carry_html():
    assert str(prose("**bold** <script>alert(1)</script>")) == \
        "<p><strong>bold</strong> &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
