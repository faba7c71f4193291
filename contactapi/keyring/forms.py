"""Flask-WTF forms of the keyring pages; their checks call the same rules the JSON door uses."""
import re

from flask_wtf import FlaskForm
from wtforms import (BooleanField, FloatField, IntegerField, PasswordField, RadioField, SelectChoice,
                     SelectMultipleField,
                     StringField, TextAreaField, widgets)
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from .. import challenges, keys, origins, spam_rules
from ..nul_text import has_nul
from ..addresses import InvalidEmail, normalise_email
from ..autoresponders import templates
from ..deliveries.events import EVENTS

KIND_CHOICES = [
    SelectChoice("publishable", "Publishable: for a form on your website (ck_pub_…)"),
    SelectChoice("secret", "Secret: for your backend, every API call (ck_secret_…)"),
]
DOMAINS_HELP = ("Optional, publishable keys only: one domain per line; a pasted address such as "
                "https://www.example.com/contact keeps only its host. Empty = any website.")


class LinesField(TextAreaField):
    """Entries typed one per line; data is a list (kept in the order typed)."""

    def process_formdata(self, valuelist):
        text = valuelist[0] if valuelist else ""
        self.data = [line.strip() for line in text.splitlines() if line.strip()]

    def _value(self):
        return "\n".join(self.data or [])


class EntriesField(LinesField):
    """Entries without spaces (field names, addresses, domains) typed one per line or separated by commas."""

    def process_formdata(self, valuelist):
        text = valuelist[0] if valuelist else ""
        self.data = [entry for entry in re.split(r"[\s,]+", text) if entry]


class DomainListField(TextAreaField):
    """Domains typed one per line (or separated by commas or spaces); data is a list."""

    def process_formdata(self, valuelist):
        text = valuelist[0] if valuelist else ""
        self.data = [entry for entry in re.split(r"[\s,]+", text) if entry]

    def _value(self):
        return "\n".join(self.data or [])


class DashboardForm(FlaskForm):
    """Every dashboard form: a field holding NUL is that field's error before any other check runs (those may
    read the database, and PostgreSQL refuses NUL in text), so the form is shown again and nothing is stored."""

    def validate(self, extra_validators=None):
        with_nul = [field for field in self if any(has_nul(value) for value in field.raw_data or ())]
        for field in with_nul:
            field.errors = ["This cannot contain a NUL character."]
        return not with_nul and super().validate(extra_validators)


def _valid_email(form, field):
    try:
        field.data = normalise_email(field.data or "")
    except InvalidEmail as error:
        raise ValidationError(str(error)) from None


def _email_field():
    return StringField("Your email address", validators=[_valid_email],
                       render_kw={"type": "email", "autocomplete": "email", "required": True})


class _KeyKindAndDomains(DashboardForm):
    kind = RadioField("Kind of key", choices=KIND_CHOICES, default="publishable")
    domains = DomainListField("Allowed domains", description=DOMAINS_HELP, render_kw={"rows": 2})

    def validate_domains(self, field):
        try:
            field.data = keys.domains_for(self.kind.data, field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None


class KeyRequestForm(_KeyKindAndDomains):
    """GET /'s form: a new key by email, or the keys already held."""

    email = _email_field()
    request_type = RadioField("I want to", default="generateKey", choices=[
        SelectChoice("generateKey", "create a new key"),
        SelectChoice("getKeys", "get my existing keys by email"),
    ])

    def validate_domains(self, field):
        if self.request_type.data == "getKeys":  # kind and domains are hidden then, and unused
            field.data = []
            return
        super().validate_domains(field)


class SignInForm(DashboardForm):
    email = _email_field()


class NewKeyForm(_KeyKindAndDomains):
    name = StringField("Name", validators=[Length(max=100)], description="Optional, to tell your keys apart.")


class DomainsForm(DashboardForm):
    domains = DomainListField("Allowed domains", description="One domain per line. Empty = any website.",
                              render_kw={"rows": 3})

    def __init__(self, key, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key = key
        self.domains.description = "One domain per line; a pasted address keeps only its host. Empty = any website."

    def validate_domains(self, field):
        try:
            field.data = keys.domains_for(self.key.kind, field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None



class VisitorPagesForm(DashboardForm):
    """What a publishable key's visitors see after sending its form."""

    success_url = StringField(
        "Redirect after a submission", validators=[Length(max=2000)], render_kw={"type": "url"},
        description="Optional: a page of your site (https://…). Empty = our thank-you page below. "
                    "A form's own _next or redirect field still wins.")
    thank_you_message = TextAreaField(
        "Thank-you message", validators=[Length(max=1000)], render_kw={"rows": 3},
        description="Optional: shown on our thank-you page instead of \"Your message has been sent.\"")

    def __init__(self, key, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key = key

    def validate_success_url(self, field):
        field.data = (field.data or "").strip()
        if field.data and not origins.redirect_allowed(field.data, self.key.domains, field.data, None):
            where = "on " + ", ".join(self.key.domains) if self.key.domains else "an http(s) address"
            raise ValidationError(f"Enter a full address {where}, like https://example.com/thanks.")


class ChallengeForm(DashboardForm):
    """The challenge a publishable key's visitors must pass; challenges.configure checks the rest."""

    kind = RadioField("Challenge", default="none", choices=[SelectChoice("none", "None (the spam trap only)")] + [
        SelectChoice(kind, challenges.LABELS[kind]) for kind in challenges.KINDS])
    site_key = StringField("Site key", validators=[Length(max=200)],
                           description="Turnstile, hCaptcha, reCAPTCHA: the public site key from the provider.")
    secret = PasswordField("Secret key", validators=[Length(max=500)], render_kw={"autocomplete": "off"},
                           description="From the provider; stored encrypted and never shown again. "
                                       "Leave empty to keep the one saved.")
    threshold = FloatField("Minimum score", validators=[Optional(), NumberRange(0.0, 1.0)],
                           description="reCAPTCHA v3 only: 0.0 to 1.0 (default 0.5); lower scores are refused.")


class WebhookForm(DashboardForm):
    """A new webhook: where to, and which events; the rule (endpoints.create) checks the URL."""

    url = StringField("Endpoint URL", validators=[Length(max=2048)], description="https://… on your server.",
                      render_kw={"type": "url", "required": True, "placeholder": "https://example.com/hooks/contacts"})
    events = SelectMultipleField(
        "Events", choices=[SelectChoice(event, event) for event in EVENTS], default=list(EVENTS),
        option_widget=widgets.CheckboxInput(), widget=widgets.ListWidget(prefix_label=False))
    description = StringField("Description", validators=[Length(max=200)], description="Optional, for you.")


class ContentRulesForm(DashboardForm):
    """A publishable key's content rules; spam_rules.parse checks them (form.rules is the result)."""

    max_links = IntegerField("Most links in a message", validators=[Optional()], render_kw={"min": 0, "max": 1000},
                             description="Counted over every text field. Empty = no limit; 0 = no links at all.")
    blocked_words = LinesField("Blocked words", render_kw={"rows": 3},
                               description="One word or phrase per line; matched as a whole word, in any letter case.")
    blocked_senders = EntriesField("Blocked senders", render_kw={"rows": 3},
                                 description="One per line (or separated by commas): an address (spam@example.com) or a domain (example.com, its "
                                             "subdomains too), matched against the sender's email.")
    required_fields = EntriesField("Required fields", render_kw={"rows": 2},
                                 description="Field names, one per line or separated by commas: a submission without "
                                             "one of them goes to spam.")
    only_fields = EntriesField("Only these fields", render_kw={"rows": 2},
                             description="Field names: any other field is dropped (not spam). email is always kept. "
                                         "Empty = keep every field.")

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        try:
            self.rules = spam_rules.parse(self.max_links.data, self.blocked_words.data, self.blocked_senders.data,
                                          self.required_fields.data, self.only_fields.data)
        except spam_rules.RulesInvalid as invalid:
            for name, message in invalid.errors.items():
                getattr(self, name).errors.append(message)
            return False
        return True

    @classmethod
    def of(cls, rules):
        """The form showing a key's stored rules."""
        return cls(data={"max_links": rules.max_links, **{name: list(getattr(rules, name)) for name in
                                                           ("blocked_words", "blocked_senders", "required_fields", "only_fields")}})


class AutoresponderForm(DashboardForm):
    """A publishable key's autoresponse: the owner's templates, checked in the sandbox before they are saved."""

    enabled = BooleanField("Send an autoresponse to each submitter's email")
    subject = StringField("Subject", validators=[Length(min=1, max=templates.SUBJECT_LENGTH)])
    body = TextAreaField(
        "Message", validators=[Length(min=1, max=templates.BODY_LENGTH)], render_kw={"rows": 6},
        description="Placeholders insert what the visitor sent, e.g. {{ name }} or {{ email }}; "
                    "{% if name %}…{% endif %} works too. Values longer than 100 characters, and links, are left out.")
    double_opt_in = BooleanField("Double opt-in: the autoresponse asks the submitter to confirm their address")

    def validate_body(self, field):
        try:
            templates.check(self.subject.data or "", field.data or "")
        except templates.TemplateProblem as problem:
            raise ValidationError(str(problem)) from None
