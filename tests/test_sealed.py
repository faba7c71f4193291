"""Sealed secrets open under SECRET_KEY and its fallbacks, and under nothing else."""
import pytest

from contactapi import sealed


def test_a_sealed_secret_survives_a_secret_key_rotation(make_app):
    old = make_app(SECRET_KEY="old-key")
    with old.app_context():
        box = sealed.seal("whsec_abc")
        assert "whsec_abc" not in box and sealed.unseal(box) == "whsec_abc"
    rotated = make_app(SECRET_KEY="new-key", SECRET_KEY_FALLBACKS=["old-key"])
    with rotated.app_context():
        assert sealed.unseal(box) == "whsec_abc"
    forgotten = make_app(SECRET_KEY="new-key")
    with forgotten.app_context(), pytest.raises(sealed.Unreadable):
        sealed.unseal(box)
