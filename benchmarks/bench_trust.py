"""Benchmarks of the ``trust`` category (issue 11): PII scan speed and accuracy, canary overhead."""

from __future__ import annotations

import logging
import random
import statistics
import string
import time
from typing import Any

from pytest_prodreal.trust import Canaries, scan

SEED = 11
TEMPLATES = (
    "Please contact {v} about the refund.",
    "The customer gave {v} when we called back yesterday.",
    "Logged value: {v}; ticket escalated to tier 2.",
    "For verification she read out {v} twice.",
    "Note from support: {v} (see the attached form).",
    "He asked us to update his record to {v} before Friday.",
)
LOOKALIKE_TEMPLATES = (
    "Your order {v} has shipped.",
    "See ISBN {v} in the catalogue.",
    "The meeting moved to {v}.",
    "Upgrade to version {v} for the fix.",
    "Invoice {v} is attached.",
)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _planted(rng: random.Random, kind: str, fake: Any) -> str:
    from stdnum import iban, luhn, verhoeff
    from stdnum.es import dni
    from stdnum.fr import nir
    from stdnum.it import codicefiscale

    if kind == "email":
        return f"{fake.user_name()}{rng.randrange(99)}@{fake.domain_name()}"
    if kind == "phone":
        import phonenumbers

        region = rng.choice(["US", "GB", "FR", "DE"])
        while True:
            ex = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
            national = str(ex.national_number)
            cand = national[:-4] + _digits(rng, 4)
            number = phonenumbers.parse(cand, region)
            if phonenumbers.is_valid_number(number):
                fmt = rng.choice(
                    [
                        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                        phonenumbers.PhoneNumberFormat.NATIONAL,
                    ]
                )
                if region != "US":
                    fmt = phonenumbers.PhoneNumberFormat.INTERNATIONAL
                return phonenumbers.format_number(number, fmt)
    if kind == "card":
        prefix, length = rng.choice([("4", 16), ("51", 16), ("37", 15), ("6011", 16)])
        body = prefix + _digits(rng, length - len(prefix) - 1)
        number = body + luhn.calc_check_digit(body)
        return (
            " ".join(number[i : i + 4] for i in range(0, len(number), 4))
            if rng.random() < 0.5
            else number
        )
    if kind == "iban":
        while True:
            value = fake.iban()
            if iban.is_valid(value):
                return iban.format(value) if rng.random() < 0.5 else value
    if kind == "us_ssn":
        return (
            f"{rng.randrange(1, 665):03d}-{rng.randrange(1, 99):02d}-{rng.randrange(1, 9999):04d}"
        )
    if kind == "es_dni":
        body = _digits(rng, 8)
        return body + dni.calc_check_digit(body)
    if kind == "fr_nir":
        body = f"{rng.choice('12')}{_digits(rng, 2)}{rng.randrange(1, 13):02d}{rng.randrange(1, 96):02d}"  # noqa: E501
        body += _digits(rng, 6)
        return body + nir.calc_check_digits(body)
    if kind == "in_aadhaar":
        while True:
            body = str(rng.randrange(2, 10)) + _digits(rng, 10)
            value = body + verhoeff.calc_check_digit(body)
            if value != value[::-1]:
                return f"{value[:4]} {value[4:8]} {value[8:]}"
    if kind == "it_codicefiscale":
        letters = "".join(rng.choice(string.ascii_uppercase) for _ in range(6))
        body = f"{letters}{_digits(rng, 2)}{rng.choice('ABCDEHLMPRST')}{rng.randrange(1, 29):02d}"
        body += rng.choice(string.ascii_uppercase) + _digits(rng, 3)
        return body + codicefiscale.calc_check_digit(body)
    if kind == "ipv4":
        return ".".join(str(rng.randrange(1, 255)) for _ in range(4))
    if kind == "ipv6":
        return ":".join(f"{rng.randrange(0, 65536):x}" for _ in range(8))
    alnum = string.ascii_letters + string.digits
    rand = lambda n: "".join(rng.choice(alnum) for _ in range(n))  # noqa: E731
    if kind == "openai":
        return "sk-proj-" + rand(48)
    if kind == "anthropic":
        return "sk-ant-api03-" + rand(93) + "AA"
    if kind == "aws_access_key_id":
        return "AKIA" + "".join(
            rng.choice(string.ascii_uppercase + string.digits) for _ in range(16)
        )
    if kind == "github":
        return "ghp_" + rand(36)
    if kind == "slack":
        return f"xoxb-{_digits(rng, 12)}-{_digits(rng, 12)}-{rand(24)}"
    if kind == "stripe":
        return "sk_live_" + rand(24)
    if kind == "jwt":
        import base64
        import json

        enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
        return f"{enc({'alg': 'HS256', 'typ': 'JWT'})}.{enc({'sub': rand(10)})}.{rand(43)}"
    if kind == "private_key":
        return f"-----BEGIN PRIVATE KEY-----\n{rand(64)}\n{rand(64)}\n-----END PRIVATE KEY-----"
    raise ValueError(kind)


KINDS = {
    "email": "email", "phone": "phone", "card": "card", "iban": "iban", "us_ssn": "national_id",
    "es_dni": "national_id", "fr_nir": "national_id", "in_aadhaar": "national_id",
    "it_codicefiscale": "national_id", "ipv4": "ip", "ipv6": "ip", "openai": "api_key",
    "anthropic": "api_key", "aws_access_key_id": "api_key", "github": "api_key",
    "slack": "api_key", "stripe": "api_key", "jwt": "jwt", "private_key": "private_key",
}  # fmt: skip


def _lookalike(rng: random.Random) -> tuple[int, str]:
    which = rng.randrange(5)
    if which == 0:
        v = rng.choice(
            [
                f"ORD-{_digits(rng, 8)}",
                f"#{_digits(rng, 6)}",
                f"{_digits(rng, 4)}-{_digits(rng, 4)}-{_digits(rng, 2)}",
            ]
        )
    elif which == 1:
        body = "978" + _digits(rng, 9)
        check = (10 - sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body)) % 10) % 10
        v = f"{body[:3]}-{body[3]}-{body[4:6]}-{body[6:12]}-{check}"
    elif which == 2:
        y, m, d = rng.randrange(1990, 2030), rng.randrange(1, 13), rng.randrange(1, 29)
        v = rng.choice(
            [
                f"{y}-{m:02d}-{d:02d}",
                f"{d:02d}/{m:02d}/{y}",
                f"{y}-{m:02d}-{d:02d} {rng.randrange(24):02d}:{rng.randrange(60):02d}",
            ]
        )
    elif which == 3:
        v = rng.choice(
            [
                f"{rng.randrange(10)}.{rng.randrange(30)}.{rng.randrange(30)}",
                f"v{rng.randrange(20)}.{rng.randrange(20)}.{rng.randrange(99)}-rc{rng.randrange(5)}",
                f"10.0.{rng.randrange(10000, 30000)}.{rng.randrange(1000, 9999)}",
            ]
        )
    else:
        v = f"INV-{rng.randrange(2015, 2030)}-{_digits(rng, 6)}"
    return which, rng.choice(LOOKALIKE_TEMPLATES[which : which + 1]).format(v=v)


def corpus(n_per_kind: int = 300, seed: int = SEED) -> tuple[str, list[tuple[int, int, str]]]:
    """A labelled text: ``n_per_kind`` planted values of every subkind, and as many look-alikes."""
    from faker import Faker

    rng = random.Random(seed)
    fake = Faker(["en_US", "en_GB", "de_DE", "fr_FR"])
    fake.seed_instance(seed)
    pieces: list[str] = []
    labels: list[tuple[int, int, str]] = []
    pos = 0
    plan = [k for k in KINDS for _ in range(n_per_kind)]
    rng.shuffle(plan)
    for kind in plan:
        value = _planted(rng, kind, fake)
        sentence = rng.choice(TEMPLATES).format(v=value)
        start = pos + sentence.index(value)
        labels.append((start, start + len(value), KINDS[kind]))
        _, other = _lookalike(rng)
        chunk = f"{sentence} {other}\n"
        pieces.append(chunk)
        pos += len(chunk)
    return "".join(pieces), labels


def pii_accuracy(detectors: Any = None, kinds: Any = None) -> tuple[float, float, int]:
    """Recall, precision and the number of planted values of ``scan(corpus, detectors)``.

    ``kinds`` restricts the planted values counted to those kinds (and findings to them).
    """
    text, labels = _corpus()
    found = scan(text, detectors)
    if kinds is not None:
        labels = [label for label in labels if label[2] in kinds]
        found = [f for f in found if f.kind in kinds]
    hit = set()
    correct = 0
    for f in found:
        match = [
            i for i, (s, e, k) in enumerate(labels) if s < f.end and f.start < e and k == f.kind
        ]
        if match:
            correct += 1
            hit.update(match)
    return len(hit) / len(labels), correct / len(found) if found else 0.0, len(labels)


_CACHE: dict[str, Any] = {}


def _corpus() -> tuple[str, list[tuple[int, int, str]]]:
    # Recall, precision and presidio's figures all read one corpus: build it once per run.
    if "corpus" not in _CACHE:
        _CACHE["corpus"] = corpus()
    return _CACHE["corpus"]  # type: ignore[no-any-return]


def _accuracy(which: str) -> tuple[float, float, int]:
    if which not in _CACHE:
        if which == "ours":
            _CACHE[which] = pii_accuracy()
        elif which == "presidio":
            _CACHE[which] = pii_accuracy(_presidio_detectors())
        else:  # presidio on the kinds it has recognizers for
            from pytest_prodreal.trust import PRESIDIO_KINDS

            _CACHE[which] = pii_accuracy(_presidio_detectors(), set(PRESIDIO_KINDS.values()))
    return _CACHE[which]  # type: ignore[no-any-return]


def _presidio_detectors() -> list[Any]:
    from pytest_prodreal.trust import PresidioDetector

    return [PresidioDetector()]


def _presidio_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("presidio_analyzer") is not None


def _beside(index: int) -> dict[str, object]:
    # presidio's figure on the same corpus (its offline pattern recognizers; it has none for API
    # keys, JWTs or private keys, so its recall counts those as missed), where it is installed.
    if not _presidio_installed():
        return {"presidio": "not installed (pip install 'pytest-prodreal[trust-presidio]')"}
    return {
        "presidio": round(_accuracy("presidio")[index], 4),
        "presidio_on_its_kinds": round(_accuracy("presidio-covered")[index], 4),
    }


def _accuracy_figures(index: int) -> dict[str, object]:
    # Every field but the goal, which each benchmark states itself (the docs table reads it).
    figures = _accuracy("ours")
    return {"value": round(figures[index], 4), "unit": "ratio", "planted": figures[2],
            **_beside(index)}  # fmt: skip


def pii_recall() -> dict[str, object]:
    """Share of the planted values found with their kind (seeded, labelled corpus)."""
    return {"goal": ">= 0.99", **_accuracy_figures(0)}


def pii_precision() -> dict[str, object]:
    """Share of findings that are planted values of that kind (look-alikes must not match)."""
    return {"goal": ">= 0.98", **_accuracy_figures(1)}


def scan_text(size: int = 10_000_000, seed: int = SEED) -> tuple[str, int]:
    """``size`` characters of prose with planted PII; and how many values were planted.

    About one planted value (and one look-alike) per 1.3 KB of text, as in a log or a support
    transcript. The planted values are all distinct: a text made by repeating one block would
    let a cache of validated values inflate the figure.
    """
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(seed)
    prose = [fake.paragraph(nb_sentences=8) + "\n" for _ in range(400)]
    per_line = 1000
    planted, labels = corpus(size // per_line // len(KINDS) + 1, seed)
    pieces: list[str] = []
    total = used = k = last = 0
    for _, end, _ in labels:
        # One planted sentence and its look-alike (a private key spans lines).
        cut = planted.index("\n", end) + 1
        line, last = planted[last:cut], cut
        if total >= size:
            break
        gap = 0
        while gap < per_line:
            gap += len(prose[k % len(prose)])
            pieces.append(prose[k % len(prose)])
            k += 1
        pieces.append(line)
        total += gap + len(line)
        used += 1
    return "".join(pieces)[:size], used


def pii_scan_mb_per_s() -> dict[str, object]:
    """All built-in detectors over 10 MB of prose with distinct planted PII (median of 3)."""
    text, _ = scan_text()
    found = len(scan(text[:200_000]))  # warm up (lazy imports, compiled patterns)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        found = len(scan(text))
        times.append(time.perf_counter() - t0)
    mb_s = len(text.encode()) / 1e6 / statistics.median(times)
    return {
        "value": round(mb_s, 1),
        "unit": "MB/s",
        "goal": ">= 20",
        "findings_per_mb": round(found / (len(text) / 1e6)),
    }


def canary_check_overhead_ms() -> dict[str, object]:
    """Per test: plant a person's canaries, capture logs, read 3 chaos routes, check."""
    import httpx

    from pytest_prodreal import Chaos

    log = logging.getLogger("bench.svc")
    samples = []
    for i in range(60):
        with Chaos(seed=i) as chaos:
            for name in ("llm", "search", "crm"):
                chaos.post(f"https://{name}.test/x", json={}, name=name)
            client = httpx.Client()
            t0 = time.perf_counter()
            c = Canaries(seed=i, chaos=chaos).start()
            person = c.person()
            c.allow("llm")
            paused = time.perf_counter()
            # The service's own work (not counted): three requests and a few log lines.
            for name in ("llm", "search", "crm"):
                client.post(f"https://{name}.test/x", json={"q": "refund?", "doc": "policy"})
            client.post("https://llm.test/x", json={"doc": f"customer {person.email}"})
            for _ in range(5):
                log.info("handled request %s", "refund?")
            resumed = time.perf_counter()
            c.check(f"Done for {person.name[:1]}.")
            c.stop()
            samples.append((time.perf_counter() - t0) - (resumed - paused))
            client.close()
    ms = statistics.median(samples[5:]) * 1000
    return {"value": round(ms, 3), "unit": "ms", "goal": "<= 2"}


BENCHMARKS = {
    "pii_scan_mb_per_s": pii_scan_mb_per_s,
    "pii_recall": pii_recall,
    "pii_precision": pii_precision,
    "canary_check_overhead_ms": canary_check_overhead_ms,
}
