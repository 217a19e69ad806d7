"""Encrypted model fields for the register's personal data.

django-fernet-encrypted-fields does the field work (encrypt on the way in, decrypt on the
way out, forms that do not decrypt twice); its keys are derived from SECRET_KEY, which
people rotate for other reasons. Here the keys are the register's own, from
`CITIZENS_DATA_KEYS`: the first encrypts, every one decrypts (Fernet's MultiFernet), so a
key is rotated by putting a new one first and re-encrypting (docs/personal-data.md).
"""

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from encrypted_fields.fields import EncryptedFieldMixin


def data_keys() -> list[bytes]:
    keys = [k.strip().encode() for k in settings.CITIZENS_DATA_KEYS if k.strip()]
    if not keys:
        raise ImproperlyConfigured("CITIZENS_DATA_KEYS holds no key.")
    return keys


def cipher() -> MultiFernet:
    try:
        return MultiFernet([Fernet(k) for k in data_keys()])
    except ValueError as exc:
        # Fernet's own message names no key; keep it so (the key is a secret too).
        raise ImproperlyConfigured(
            "CITIZENS_DATA_KEYS: each key must be 32 url-safe base64-encoded bytes (Fernet.generate_key())."
        ) from exc


class _OwnKeys(EncryptedFieldMixin):
    # The library caches the cipher on the field for the life of the process; reading the
    # setting every time keeps tests that change keys (and a reload after rotation) honest.
    @property
    def f(self) -> MultiFernet:
        return cipher()

    @property
    def keys(self) -> list[bytes]:
        return data_keys()


class EncryptedCharField(_OwnKeys, models.CharField):  # type: ignore[type-arg]
    """A CharField stored as Fernet ciphertext (text of about 100 characters for 12 digits);
    `max_length` limits the value, not the column, which is text."""


class EncryptedTextField(_OwnKeys, models.TextField):  # type: ignore[type-arg]
    pass
