def test_create_then_list(client, auth):
    response = client.post("/v1/contacts", json={"email": "ada@example.com", "name": "Ada"}, headers=auth)
    assert response.status_code == 201
    listing = client.get("/v1/contacts", headers=auth).get_json()
    assert listing["total"] == 1
    assert listing["data"][0]["name"] == "Ada"


def test_smtp(smtp_server):
    import smtplib
    host, port, inbox = smtp_server
    with smtplib.SMTP(host, port) as s:
        s.sendmail("a@example.com", ["b@example.com"], "Subject: hi\r\nTo: b@example.com\r\n\r\nhello")
    assert len(inbox.messages) == 1
