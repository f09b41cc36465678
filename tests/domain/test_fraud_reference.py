"""Offline reference data: IP and phone countries, disposable and free email domains."""

from __future__ import annotations

import pytest

from sovereign.domain import reference


@pytest.mark.parametrize(("ip", "country"), [
    ("8.8.8.8", "US"),
    ("81.2.69.142", "GB"),
    ("203.0.113.66", None),  # documentation range
    ("2001:db8::1", None),  # documentation range
    ("10.1.2.3", None),  # private
    ("127.0.0.1", None),
    ("::1", None),
    ("not-an-ip", None),
    ("", None),
    (None, None),
])
def test_ip_country(ip: str | None, country: str | None) -> None:
    assert reference.ip_country(ip) == country


@pytest.mark.parametrize(("phone", "country"), [
    ("+49 211 5555 0199", "DE"),
    ("0049 211 5555 0199", "DE"),
    ("+1 217-555-0143", "US"),
    ("+44 20 7946 0958", "GB"),
    ("0211 5555 0199", None),  # national form: says nothing about the country
    ("+999 123", None),
    ("call me", None),
    ("", None),
    (None, None),
])
def test_phone_country(phone: str | None, country: str | None) -> None:
    assert reference.phone_country(phone) == country


@pytest.mark.parametrize("domain", ["mailinator.com", "guerrillamail.com", "yopmail.com", "10minutemail.com",
                                    "sharklasers.com", "MAILINATOR.COM", "inbox.mailinator.com"])
def test_disposable_domains(domain: str) -> None:
    assert reference.is_disposable_email_domain(domain)


@pytest.mark.parametrize("domain", ["example.com", "gmail.com", "", "com"])
def test_not_disposable(domain: str) -> None:
    assert not reference.is_disposable_email_domain(domain)


def test_free_email_domains() -> None:
    assert reference.is_free_email_domain("gmail.com")
    assert reference.is_free_email_domain("Outlook.com")
    assert not reference.is_free_email_domain("example.com")
    assert not reference.is_free_email_domain("mailinator.com")


def test_email_domain() -> None:
    assert reference.email_domain("Klaus.M@Mailinator.COM") == "mailinator.com"
    assert reference.email_domain("a@b@example.org") == "example.org"
    assert reference.email_domain("nobody") == ""
    assert reference.email_domain(None) == ""
