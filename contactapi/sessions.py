"""Flask's signed-cookie session, opened only for requests that carry its cookie.

Flask opens the session of every request, and its cookie interface builds an itsdangerous signer each
time, even when there is no cookie to read: the JSON API, the public forms and the health check never
have one. A request without the cookie gets an empty session at once; one with it is read as before.
Saving a session nobody read, changed or filled does nothing (Flask would read seven cookie settings first)."""
from flask.sessions import SecureCookieSessionInterface


class CookieSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app, request):
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if session or session.modified or session.accessed:
            super().save_session(app, session, response)
