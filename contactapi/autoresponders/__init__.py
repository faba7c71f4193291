"""Autoresponders and double opt-in: a publishable key's answer to each submitter, written by its owner.

templates.py renders the owner's text in Jinja's sandbox; limits.py decides, in the submission's own
transaction, whether an autoresponse may go; sending.py queues it in the outbox; links.py signs the links it
carries (confirm, unsubscribe); confirmation.py records a confirmed contact; settings.py keeps a key's
autoresponder; models.py holds their tables."""
