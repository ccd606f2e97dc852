"""The validators of the built-in detectors: a candidate is kept only when one accepts it.

Luhn and an issuer prefix for cards, ``python-stdnum`` for IBANs and national ids,
:mod:`ipaddress` for IPs, a JSON header for JWTs. ``python-stdnum`` is imported on first use.
"""

from __future__ import annotations

import base64
import functools
import importlib
import ipaddress
import json
import re
from collections.abc import Callable
from typing import Any

__all__ = ["Check", "card", "digits_of", "iban", "ip", "is_valid_id", "jwt"]

#: A validator: the subkind of a candidate match, or ``None`` to drop it.
Check = Callable[[re.Match[str]], "str | None"]

_SEP = re.compile(r"[\s.()/-]")


def digits_of(s: str) -> str:
    """``s`` without spacing and separators."""
    return _SEP.sub("", s)


@functools.cache
def _stdnum(module: str) -> Any:
    return importlib.import_module(module)


def card(m: re.Match[str]) -> str | None:
    """The card network of a Luhn-valid number with an issuer prefix, or ``None``."""
    d = digits_of(m.group())
    if not 13 <= len(d) <= 19 or not d.isdigit():
        return None
    # The issuer prefix first (cheap): a Luhn-valid run of digits alone is not a card.
    two, three, four = int(d[:2]), int(d[:3]), int(d[:4])
    n = len(d)
    if d[0] == "4" and n in (13, 16, 19):
        kind = "visa"
    elif (51 <= two <= 55 or 2221 <= four <= 2720) and n == 16:
        kind = "mastercard"
    elif two in (34, 37) and n == 15:
        kind = "amex"
    elif (d.startswith("6011") or two == 65 or 644 <= three <= 649) and n >= 16:
        kind = "discover"
    elif 3528 <= four <= 3589 and n >= 16:
        kind = "jcb"
    elif (two in (36, 38) or 300 <= three <= 305) and n == 14:
        kind = "diners"
    else:
        return None
    return kind if _stdnum("stdnum.luhn").is_valid(d) else None


def iban(m: re.Match[str]) -> str | None:
    """``"iban"`` when python-stdnum accepts the IBAN (checksum and the country's format)."""
    return "iban" if _stdnum("stdnum.iban").is_valid(m.group()) else None


_NATIONAL_MODULES = {
    "us_ssn": "stdnum.us.ssn",
    "es_dni": "stdnum.es.dni",
    "it_codicefiscale": "stdnum.it.codicefiscale",
    "fr_nir": "stdnum.fr.nir",
    "in_aadhaar": "stdnum.in_.aadhaar",
}


def is_valid_id(kind: str, value: str) -> bool:
    """Whether python-stdnum's validator of national id ``kind`` (``us_ssn``...) accepts it."""
    return bool(_stdnum(_NATIONAL_MODULES[kind]).is_valid(value))


def ip(m: re.Match[str]) -> str | None:
    """``ipv4``/``ipv6`` when :mod:`ipaddress` parses the address."""
    try:
        address = ipaddress.ip_address(m.group())
    except ValueError:
        return None
    return f"ipv{address.version}"


def jwt(m: re.Match[str]) -> str | None:
    """``"jwt"`` when the first segment decodes to a JSON object with an ``alg``."""
    head = m.group(1)
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    return "jwt" if isinstance(header, dict) and "alg" in header else None
