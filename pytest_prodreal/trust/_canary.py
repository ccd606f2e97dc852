"""Canary PII: plant seeded, realistic, unique values; find them where they must not be.

Plant values with :class:`Canaries` (names and mail domains from Faker's locale data, drawn with a
``random.Random`` seeded from the test's seed; phone numbers valid for libphonenumber, cards
Luhn-valid, IBANs and SSNs valid for python-stdnum), put them in the
service's inputs and in the documents it retrieves, call the service, then :meth:`Canaries.check`
looks for every canary — exactly or reformatted (case, spacing, separators) — in

- the service's **output** (the value you pass),
- **log records** emitted meanwhile (stdlib logging at every level and from every logger, those
  that do not propagate included; structlog where it is in use),
- **requests** sent through ``chaos`` routes (bodies, headers, URLs and query strings), except on
  the routes you :meth:`~Canaries.allow` (the LLM route usually must see the retrieved documents).

Partial masking (``****1234``) is not a leak. A canary *reached* the service when it was seen in any
channel (an allowed route included) or was passed through :meth:`Canaries.sent`; a check during
which no canary reached the service proves nothing, records nothing and warns.
"""

from __future__ import annotations

import functools
import random
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._kit import CheckResult, conclude, validate
from ..errors import InvalidArgument
from ._logs import LogCapture
from ._match import Needle, around, normalise

__all__ = ["SDK_LOGGERS", "CanaryResult", "Canaries", "Leak", "Person"]

#: Loggers that echo the HTTP requests the SDKs send at DEBUG: the request itself is judged on its
#: route (allowed or not), so their echo of it is not counted twice. Pass ``allow_loggers=()`` to
#: judge them too.
SDK_LOGGERS: tuple[str, ...] = ("openai", "anthropic", "httpx", "httpcore", "urllib3", "botocore")


@dataclass(frozen=True)
class Leak:
    """A canary found where it must not be: ``channel`` is ``output``, ``log`` or ``request``.

    ``where`` names the place (``"logger app.search at INFO"``, ``"route 'search' query"``) and
    ``context`` the surrounding text, the canary masked.
    """

    canary: str
    kind: str
    channel: str
    where: str
    context: str

    def __str__(self) -> str:
        return f"{self.kind} canary in {self.channel} ({self.where}): {self.context!r}"


@dataclass(frozen=True)
class Person:
    """A planted person: every field is a canary."""

    name: str
    email: str
    phone: str
    card: str
    iban: str
    ssn: str

    def __str__(self) -> str:
        return (
            f"{self.name} (email {self.email}, phone {self.phone}, card {self.card}, "
            f"IBAN {self.iban}, SSN {self.ssn})"
        )


@dataclass(frozen=True)
class CanaryResult(CheckResult):
    """The outcome of :meth:`Canaries.check`: the leaks found and what was planted and reached."""

    leaks: tuple[Leak, ...] = ()
    planted: int = 0
    reached: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)


_AREA_CODES = ("201", "212", "305", "312", "404", "415", "503", "617", "702", "713", "808", "917")


@functools.cache
def _names(locale: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Faker's first names, last names and free mail domains for ``locale``, read once.

    Drawing from these with the canaries' own seeded ``random.Random`` gives Faker's realistic
    values at a fraction of the cost of a Faker call (whose weighted choice costs ~50 us each).
    """
    from faker import Faker

    fake = Faker(locale)

    def pool(attribute: str, default: tuple[str, ...]) -> tuple[str, ...]:
        for provider in fake.providers:
            values = getattr(provider, attribute, None)
            if values:
                return tuple(values)
        return default

    return (
        pool("first_names", ("Alex",)),
        pool("last_names", ("Morgan",)),
        pool("free_email_domains", ("example.com",)),
    )


def _request_fields(request: Any) -> Iterator[tuple[str, str]]:
    """(field, text) pairs of one chaos call's request: url, query, headers, body."""
    url = getattr(request, "url", None)
    if url is None:  # a wrapped callable's call
        args = getattr(request, "args", ())
        kwargs = getattr(request, "kwargs", {})
        yield "arguments", f"{args!r} {kwargs!r}"
        return
    text = str(url)
    path, _, query = text.partition("?")
    yield "url", path
    if query:
        from urllib.parse import unquote_plus

        yield "query", unquote_plus(query)
    headers = getattr(request, "headers", None) or {}
    items = headers.items() if hasattr(headers, "items") else headers
    yield "headers", "\n".join(f"{k}: {v}" for k, v in items)
    body = getattr(request, "content", None)
    if body is None:
        body = getattr(request, "body", None)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if body:
        yield "body", _unescape(str(body))


def _unescape(body: str) -> str:
    # JSON bodies escape non-ASCII (``\u00e9``) and quotes; compare against the decoded text too.
    if "\\" not in body:
        return body
    try:
        return body + "\n" + body.encode("latin-1", "backslashreplace").decode("unicode_escape")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return body


class Canaries:
    """Seeded canary PII and the leak check (see the module docstring).

    ``seed`` fixes every value (the ``prodreal_canaries`` fixture passes the test's seed).
    ``chaos``: the running :class:`~pytest_prodreal.chaos.Chaos` whose call log is read (default:
    none). ``capture_logs``: capture log records between :meth:`start` and :meth:`stop`.
    ``allow_loggers``: logger names (and their children) whose records are not judged.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        chaos: Any = None,
        capture_logs: bool = True,
        allow_loggers: Iterable[str] = SDK_LOGGERS,
        locale: str = "en_US",
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise InvalidArgument(f"Canaries: seed={seed!r} must be an int")
        self.seed = seed
        self.chaos = chaos
        self.capture_logs = bool(capture_logs)
        self.allow_loggers = tuple(allow_loggers)
        self.locale = locale
        self._rng = random.Random(seed)
        self._canaries: dict[str, tuple[str, Needle]] = {}
        self._allowed: set[str] = set()
        self._sent: set[str] = set()
        self._logs: LogCapture | None = None
        self._structlog: list[Any] | None = None
        self._struct_events: list[tuple[str, str, str]] = []
        self.checked = False

    # -- planting -----------------------------------------------------------------------------

    def plant(self, value: str, kind: str = "custom") -> str:
        """Register ``value`` (your own) as a canary of ``kind``; returns it."""
        if not isinstance(value, str) or len(value.strip()) < 4:
            raise InvalidArgument(
                f"Canaries.plant: value={value!r} must be a str of at least 4 characters, so "
                "finding it means a leak and not a coincidence"
            )
        self._canaries[value] = (kind, Needle.of(value))
        return value

    def name(self) -> str:
        """A full name, unique within this run of canaries."""
        first, last, _ = _names(self.locale)
        pick = self._rng.choice
        return self.plant(f"{pick(first)} {pick(last)}-{pick(last)}", "name")

    def email(self) -> str:
        """An email address (a realistic mailbox with a random suffix, so it is unique)."""
        first, last, domains = _names(self.locale)
        pick = self._rng.choice
        user = f"{pick(first)}.{pick(last)}{self._rng.randrange(100, 9999)}".lower()
        return self.plant(f"{user}@{pick(domains)}", "email")

    def phone(self) -> str:
        """A US phone number libphonenumber accepts as valid, nationally formatted."""
        # Area codes and exchanges libphonenumber knows as valid: no validation loop per test
        # (tests/test_trust.py checks the numbers are valid).
        area = self._rng.choice(_AREA_CODES)
        exchange = self._rng.randrange(201, 999)
        if exchange % 100 == 11 or exchange == 555:
            exchange += 1
        line = self._rng.randrange(0, 10000)
        return self.plant(f"({area}) {exchange}-{line:04d}", "phone")

    def card(self) -> str:
        """A Luhn-valid 16-digit Visa number, grouped by four."""
        from stdnum import luhn

        body = "4" + "".join(str(self._rng.randrange(10)) for _ in range(14))
        number = body + luhn.calc_check_digit(body)
        return self.plant(" ".join(number[i : i + 4] for i in range(0, 16, 4)), "card")

    def iban(self) -> str:
        """A British IBAN valid for python-stdnum, grouped by four."""
        from stdnum import iban

        rng = self._rng
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        bban = "".join(rng.choice(letters) for _ in range(4))
        bban += "".join(str(rng.randrange(10)) for _ in range(14))
        value = f"GB{iban.calc_check_digits('GB00' + bban)}{bban}"
        return self.plant(iban.format(value), "iban")

    def ssn(self) -> str:
        """A US social security number valid for python-stdnum."""
        from stdnum.us import ssn

        while True:
            value = f"{self._rng.randrange(1, 899):03d}-{self._rng.randrange(1, 99):02d}-"
            value += f"{self._rng.randrange(1, 9999):04d}"
            if ssn.is_valid(value):
                return self.plant(value, "ssn")

    def api_key(self) -> str:
        """An OpenAI-shaped secret key."""
        chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return self.plant("sk-proj-" + "".join(self._rng.choice(chars) for _ in range(40)), "key")

    def person(self) -> Person:
        """A person whose name, email, phone, card, IBAN and SSN are all canaries."""
        return Person(self.name(), self.email(), self.phone(), self.card(), self.iban(), self.ssn())

    @property
    def values(self) -> list[str]:
        """Every planted canary."""
        return list(self._canaries)

    # -- routes and reach ---------------------------------------------------------------------

    def allow(self, *routes: Any) -> Canaries:
        """Let these chaos routes (names or route objects) receive canaries (the LLM, usually).

        A route may be defined after it is allowed; the names are checked when requests are
        read (:meth:`check`, :meth:`leaks`): one that is no route of the chaos is an
        ``InvalidArgument`` naming the known routes.
        """
        for r in routes:
            name = getattr(r, "name", r)
            if not isinstance(name, str):
                raise InvalidArgument(f"Canaries.allow: {r!r} is not a chaos route or its name")
            self._allowed.add(name)
        return self

    def _check_allowed(self, where: str) -> None:
        # A misspelt allowed route would otherwise pass silently, and its leaks count where
        # the intended route's would not: refuse it where the routes are known, when read.
        if not self._allowed:
            return
        listed = ", ".join(repr(a) for a in sorted(self._allowed))
        if self.chaos is None:
            raise InvalidArgument(
                f"{where}: allow({listed}) names chaos routes, but there are no chaos routes to "
                "read: use the chaos fixture in the test (or Canaries(chaos=...)), or drop allow()"
            )
        known = getattr(self.chaos, "routes", None)
        if not isinstance(known, Mapping):
            return  # not a Chaos: its routes cannot be listed
        for name in sorted(self._allowed):
            if name not in known:
                raise InvalidArgument(
                    f"{where}: allow({name!r}) names no route of the chaos; known routes: "
                    f"{', '.join(sorted(known)) or 'none yet'}.{validate.suggest(name, known)} "
                    "Allow a route by the name it was given (name=...) or pass the route itself"
                )

    def sent(self, value: Any) -> Any:
        """Mark the canaries inside ``value`` as given to the service; returns ``value``."""
        text = str(value)
        flat = normalise(text)
        for canary, (_, needle) in self._canaries.items():
            if needle.find(text, flat) >= 0:
                self._sent.add(canary)
        return value

    # -- log capture --------------------------------------------------------------------------

    def start(self) -> Canaries:
        """Start capturing log records: every level, every logger (non-propagating ones too).

        The root logger is lowered to DEBUG meanwhile, so loggers that inherit it emit every level.
        """
        if not self.capture_logs or self._logs is not None:
            return self
        self._logs = LogCapture()
        self._logs.start()
        structlog = sys.modules.get("structlog")  # only when the service already uses it
        if structlog is not None:
            processors = structlog.get_config().get("processors")
            if isinstance(processors, list):
                # In place, so loggers already bound (and cached) see it too.
                processors.insert(0, self._structlog_processor)
                self._structlog = processors
        return self

    def _structlog_processor(self, logger: Any, method: str, event: Any) -> Any:
        name = str(getattr(logger, "name", "") or (event.get("logger", "structlog")))
        self._struct_events.append((name, method.upper(), repr(dict(event))))
        return event

    def stop(self) -> None:
        """Stop capturing; what was captured stays readable."""
        if self._logs is not None:
            self._logs.stop()
        if self._structlog is not None:
            if self._structlog_processor in self._structlog:
                self._structlog.remove(self._structlog_processor)
            self._structlog = None

    def __enter__(self) -> Canaries:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def log_records(self) -> list[tuple[str, str, str]]:
        """``(logger, level, message)`` of each captured record (structlog events included)."""
        records = list(self._logs.records) if self._logs is not None else []
        return records + list(self._struct_events)

    # -- the check ----------------------------------------------------------------------------

    def _allowed_logger(self, name: str) -> bool:
        return any(name == a or name.startswith(a + ".") for a in self.allow_loggers)

    def _search(self, text: str, channel: str, where: str, seen: set[str]) -> list[Leak]:
        if not text:
            return []
        flat = normalise(text)
        hits = []
        for canary, (kind, needle) in self._canaries.items():
            pos = needle.find(text, flat)
            if pos >= 0:
                seen.add(canary)
                hits.append((canary, kind, pos, needle))
        if not hits:
            return []
        # Every place of every canary found here: a leak's context masks them all, so the
        # report of one leak never shows another canary (or another copy of it) in clear.
        spans = sorted({s for *_, needle in hits for s in needle.spans(text, flat)})
        return [
            Leak(canary, kind, channel, where, around(text, pos, canary, others=spans))
            for canary, kind, pos, _ in hits
        ]

    def _mark(self) -> tuple[int, int, int]:
        """Where the captured logs, structlog events and chaos calls are now (see _reached)."""
        logs = len(self._logs.records) if self._logs is not None else 0
        calls = len(self.chaos.calls) if self.chaos is not None else 0
        return logs, len(self._struct_events), calls

    def _reached(self, mark: tuple[int, int, int], texts: Iterable[str] = ()) -> set[str]:
        """The canaries seen in ``texts`` or in what was logged and sent since ``mark``.

        What a check that calls the service (``check_guardrails``) counts as exercised: a
        canary that reached the service before the check, or never, proves nothing about it.
        """
        seen: set[str] = set()
        records = list(self._logs.records[mark[0] :]) if self._logs is not None else []
        records += self._struct_events[mark[1] :]
        for text in [*texts, *(message for _, _, message in records)]:
            self._search(text, "", "", seen)
        if self.chaos is not None:
            for call in self.chaos.calls[mark[2] :]:
                for _, text in _request_fields(call.request):
                    self._search(text, "", "", seen)
        return seen

    def leaks(self, output: Any = None, *, logs: bool = True, requests: bool = True) -> list[Leak]:
        """Every leak in ``output``, the captured logs and the chaos requests (no evidence)."""
        if requests:
            self._check_allowed("Canaries.leaks")
        return self._scan(output, logs=logs, requests=requests)[0]

    def _scan(self, output: Any, *, logs: bool, requests: bool) -> tuple[list[Leak], set[str]]:
        seen: set[str] = set(c for c in self._sent if c in self._canaries)
        found: list[Leak] = []
        if output is not None:
            found += self._search(_text(output), "output", "the service's output", seen)
        if logs:
            for name, level, message in self.log_records:
                hits = self._search(message, "log", f"logger {name!r} at {level}", seen)
                if not self._allowed_logger(name):
                    found += hits
        if requests and self.chaos is not None:
            for call in self.chaos.calls:
                for fld, text in _request_fields(call.request):
                    hits = self._search(text, "request", f"route {call.route!r} {fld}", seen)
                    if call.route not in self._allowed:
                        found += hits
        return found, seen

    def check(
        self, output: Any = None, *, logs: bool | None = None, requests: bool = True
    ) -> CanaryResult:
        """No canary leaked into ``output``, the logs or the chaos requests; raise if one did.

        ``logs`` (default: whether logs are captured) and ``requests`` choose the channels. Records
        ``guardrails`` evidence (figures: canaries planted and reached, leaks by channel). Raises
        ``AssertionError`` naming each leak, and ``InvalidArgument`` when there is nothing to look
        in (no output, no log capture, no chaos routes).
        """
        __tracebackhide__ = True
        self.checked = True
        use_logs = self.capture_logs if logs is None else bool(logs) and self.capture_logs
        routes = self.chaos is not None and requests and bool(getattr(self.chaos, "routes", True))
        if output is None and not use_logs and not routes:
            raise InvalidArgument(
                "Canaries.check: nothing to look in (no output given, no log capture, no chaos "
                "routes): pass the service's output, keep log capture on (capture_logs=True), or "
                "use the chaos fixture with routes so requests to third parties are read"
            )
        if requests:
            self._check_allowed("Canaries.check")
        found, seen = self._scan(output, logs=use_logs, requests=routes)
        by_channel = {
            c: sum(1 for x in found if x.channel == c) for c in ("output", "log", "request")
        }
        planted, reached = len(self._canaries), len(seen)
        held = not found
        summary = (
            f"{planted} canaries planted, {reached} reached the service, {len(found)} leak(s) "
            f"(output {by_channel['output']}, logs {by_channel['log']}, "
            f"requests {by_channel['request']})"
        )
        figures = {
            "canaries_planted": planted,
            "canaries_reached": reached,
            "leaks": len(found),
            "leaks_output": by_channel["output"],
            "leaks_logs": by_channel["log"],
            "leaks_requests": by_channel["request"],
            "log_records": len(self.log_records),
            "requests": len(self.chaos.calls) if self.chaos is not None else 0,
        }
        explanation = (
            f"{len(found)} canary leak(s):\n"
            + "\n".join(f"  - {x}" for x in found[:10])
            + "\nMask or drop personal data before it is returned, logged or sent; allow a route "
            "that must see it with canaries.allow(route)."
        )
        counted = conclude(
            "guardrails",
            "check_canaries",
            held=held,
            exercised=reached,
            what="canaries reached the service",
            summary=summary,
            figures=figures,
            explanation=explanation,
            nothing_hint=(
                "plant canaries in the inputs or documents the service reads, then call the "
                "service (a canary counts as reaching it when seen on a route, in a log or "
                "passed through canaries.sent(...))"
            ),
        )
        return CanaryResult(
            held=held,
            counted=counted,
            summary=summary,
            figures=figures,
            explanation="" if held else explanation,
            leaks=tuple(found),
            planted=planted,
            reached=reached,
            by_channel=by_channel,
        )


def _text(output: Any) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, bytes):
        return output.decode("utf-8", "replace")
    return repr(output) if not hasattr(output, "model_dump_json") else output.model_dump_json()
