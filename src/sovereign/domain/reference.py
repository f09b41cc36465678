"""Static reference data: IP to country, phone to country, disposable and free email domains.

Everything here reads data shipped inside installed packages (``iptocc``,
``phonenumbers``, ``disposable-email-domains``) or defined in this module; no
network, no files of our own. Each data set is loaded once, on first use.

All functions are total: bad input gives ``None`` or ``False``, never an exception.
"""

from __future__ import annotations

import ipaddress
from functools import cache

__all__ = [
    "email_domain",
    "ip_country",
    "is_disposable_email_domain",
    "is_free_email_domain",
    "phone_country",
]

# Large consumer webmail providers. Anyone can open an account in a minute, but
# most honest customers use one, so the fraud rules ignore them by default.
_FREE_EMAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com",
        "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "yahoo.es", "yahoo.it", "yahoo.co.jp",
        "yahoo.com.br", "yahoo.co.in", "ymail.com", "rocketmail.com",
        "hotmail.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "hotmail.es", "hotmail.it",
        "outlook.com", "outlook.fr", "outlook.de", "live.com", "live.co.uk", "live.fr", "msn.com",
        "aol.com", "icloud.com", "me.com", "mac.com",
        "gmx.com", "gmx.de", "gmx.net", "gmx.at", "gmx.ch", "web.de", "t-online.de", "freenet.de",
        "mail.com", "email.com", "zoho.com", "proton.me", "protonmail.com", "pm.me", "tutanota.com",
        "yandex.com", "yandex.ru", "mail.ru", "inbox.ru", "list.ru", "bk.ru", "rambler.ru",
        "qq.com", "163.com", "126.com", "sina.com", "naver.com", "daum.net", "hanmail.net",
        "libero.it", "virgilio.it", "orange.fr", "free.fr", "laposte.net", "wanadoo.fr", "sfr.fr",
        "seznam.cz", "wp.pl", "o2.pl", "interia.pl", "onet.pl", "rediffmail.com", "uol.com.br",
        "bol.com.br", "terra.com.br",
    }
)


def email_domain(email: str | None) -> str:
    """The lower-cased domain of an email address, or ``""`` when there is none."""
    if not email or "@" not in email:
        return ""
    return email.rsplit("@", 1)[1].strip().strip(".").lower()


def _parents(domain: str) -> list[str]:
    """``a.b.example.com`` -> ``[a.b.example.com, b.example.com, example.com]`` (never a bare TLD)."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


@cache
def _disposable_domains() -> frozenset[str]:
    from disposable_email_domains import allowlist, blocklist

    return frozenset(blocklist) - frozenset(allowlist)


def is_disposable_email_domain(domain: str) -> bool:
    """True for throwaway-mailbox services (mailinator.com, yopmail.com, ...), subdomains included."""
    domain = domain.strip().strip(".").lower()
    blocked = _disposable_domains()
    return any(d in blocked for d in _parents(domain))


def is_free_email_domain(domain: str) -> bool:
    """True for large consumer webmail providers (gmail.com, outlook.com, ...)."""
    return domain.strip().strip(".").lower() in _FREE_EMAIL_DOMAINS


@cache
def _iptocc():  # type: ignore[no-untyped-def]
    from iptocc import country_code

    return country_code


def ip_country(ip: str | None) -> str | None:
    """ISO 3166 alpha-2 country of a public IPv4/IPv6 address from offline RIR data.

    Private, loopback, documentation and malformed addresses give ``None``.
    """
    if not ip:
        return None
    try:
        addr = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if not addr.is_global:
        return None
    try:
        code = _iptocc()(str(addr))
    except Exception:  # the C extension rejects some inputs by raising
        return None
    return code.upper() if code else None


@cache
def _phonenumbers():  # type: ignore[no-untyped-def]
    import phonenumbers

    return phonenumbers


def phone_country(phone: str | None) -> str | None:
    """Country of a phone number written in international form (``+49 ...`` or ``0049 ...``).

    A number in national form says nothing about its country (it is read in the
    billing country by definition), so it gives ``None``, as do invalid numbers.
    """
    if not phone:
        return None
    text = phone.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+"):
        return None
    pn = _phonenumbers()
    try:
        number = pn.parse(text, None)
    except pn.NumberParseException:
        return None
    if not pn.is_valid_number(number):
        return None
    region = pn.region_code_for_number(number)
    return region if region and region != "ZZ" else None
