"""The trust audit's defects, one test (or table) each: contexts, version strings, validation,
log capture of non-propagating loggers, unexercised guardrails, abstention phrases, allow()."""

from __future__ import annotations

import json
import logging
import threading
import warnings

import httpx
import pytest

from pytest_prodreal import Chaos, InvalidArgument, ProdrealWarning, collecting_evidence
from pytest_prodreal.trust import (
    Canaries,
    PhoneDetector,
    RegexDetector,
    check_guardrails,
    is_abstention,
    scan,
)

# -- 1. a context never reveals another finding -------------------------------------------------

KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz123456"


def test_scan_context_masks_every_neighbouring_finding() -> None:
    text = f"key {KEY} email jane.doe@example.com card 4111 1111 1111 1111 ip 10.20.30.40 end"
    found = scan(text)
    assert [f.kind for f in found] == ["api_key", "email", "card", "ip"]
    for f in found:
        for other in found:
            assert other.value not in f.context, (f.kind, other.kind, f.context)
    email = found[1]
    # The key before it is cut by the window's edge: it is masked whole, never shown in part.
    assert email.context == "********3456 email ********.com card ********1111 ip *******0.40"
    assert "jklmnop" not in email.context


def test_scan_context_masks_findings_of_the_same_detector() -> None:
    found = scan("a jane.doe@example.com b john.roe@example.org c")
    assert [f.context for f in found] == [
        "a ********.com b ********.org c",
        "a ********.com b ********.org c",
    ]


def test_canary_context_masks_every_other_canary() -> None:
    canaries = Canaries(seed=1, capture_logs=False)
    p = canaries.person()
    loose = p.card.replace(" ", "-")  # reformatted: still a canary, still masked
    output = f"name {p.name} email {p.email} card {p.card} again {loose} iban {p.iban} ssn {p.ssn}"
    leaks = canaries.leaks(output)
    assert {x.kind for x in leaks} == {"name", "email", "card", "iban", "ssn"}
    digits = p.card.replace(" ", "")
    for leak in leaks:
        flat = leak.context.replace(" ", "").replace("-", "")
        for value in canaries.values:
            assert value not in leak.context, (leak.kind, leak.context)
        assert digits[:12] not in flat, (leak.kind, leak.context)
        assert p.email.split("@")[0] not in leak.context


# -- 2. version strings are not IPs ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "release 2.0.1.0",
        "version 1.2.3.4",
        "Version: 1.2.3.4",
        "ver. 1.2.3.4",
        "build 4.1.0.12",
        "v1.2.3.4",
        "v 1.2.3.4",
        "upgrade to V1.2.3.4 now",
        "Release 10.20.30.40 is out",
    ],
)
def test_version_strings_are_not_ips(text: str) -> None:
    assert [f.kind for f in scan(text)] == []


@pytest.mark.parametrize(
    "text",
    [
        "server 10.20.30.40",
        "at 10.20.30.40.",
        "reversion host 10.20.30.40",  # a word ending in "version" is not "version"
        "version 3 runs on 10.20.30.40",
        "ip: 192.168.1.20",
    ],
)
def test_real_ips_are_still_found(text: str) -> None:
    assert [f.kind for f in scan(text)] == ["ip"]


# -- 3. and 4. detectors validate their arguments --------------------------------------------------


@pytest.mark.parametrize(
    ("regions", "message"),
    [
        (["XX"], "'XX' is not a region phonenumbers supports"),
        ([], "regions is empty"),
        ("FR", "regions must be a list"),
        ([None], "None is not a region code"),
        (["F R"], "is not a region phonenumbers supports"),
        (None, "regions must be a list"),
    ],
)
def test_phone_detector_validates_regions(regions: object, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message) as info:
        PhoneDetector(regions)  # type: ignore[arg-type]
    text = str(info.value)
    assert text.startswith("PhoneDetector: ") and "\n" not in text
    assert "ISO 3166" in text or "regions" in text


def test_phone_detector_upper_cases_regions() -> None:
    detector = PhoneDetector(["fr", "De"])
    assert detector.regions == ("FR", "DE")
    assert [f.subkind for f in scan("appelez le 01 42 68 53 00", [detector])] == ["FR"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("x", "("), r"pattern '\(' is not a valid regular expression"),
        (("", r"\d+"), "name='' must be a non-empty str"),
        ((None, r"\d+"), "name=None must be a non-empty str"),
        (("x", ""), "pattern must be a non-empty"),
        (("x", None), "pattern must be a non-empty"),
        (("x", r"\d", "not callable"), "validate must be callable"),
    ],
)
def test_regex_detector_validates_arguments(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message) as info:
        RegexDetector(*args)  # type: ignore[arg-type]
    assert str(info.value).startswith("RegexDetector: ") and "\n" not in str(info.value)


# -- 5. log capture sees loggers that do not propagate ---------------------------------------------


def _isolated(name: str) -> logging.Logger:
    log = logging.getLogger(name)
    log.propagate = False
    log.addHandler(logging.NullHandler())
    return log


def test_capture_reads_loggers_that_do_not_propagate() -> None:
    canaries = Canaries(seed=5)
    p = canaries.person()
    with canaries:
        _isolated("audit.isolated").error("ssn %s", p.ssn)
        _isolated("audit.quiet").debug("iban %s", p.iban)
        logging.getLogger("audit.plain").info("ok")
        leaks = canaries.leaks()
    assert sorted((x.kind, x.where) for x in leaks) == [
        ("iban", "logger 'audit.quiet' at DEBUG"),
        ("ssn", "logger 'audit.isolated' at ERROR"),
    ]
    # Each record once, whatever the number of handlers it passes through.
    names = [r[0] for r in canaries.log_records]
    assert names == ["audit.isolated", "audit.quiet", "audit.plain"]


def test_capture_restores_logging_exactly_nested_and_across_threads() -> None:
    original = logging.Logger.callHandlers
    root_level = logging.getLogger().level
    outer, inner = Canaries(seed=1), Canaries(seed=2)
    with outer:
        with inner:
            threads = [
                threading.Thread(target=_isolated(f"audit.t{i}").warning, args=(f"t{i}",))
                for i in range(4)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        logging.getLogger("audit.after").warning("after inner")
    assert logging.Logger.callHandlers is original
    assert logging.getLogger().level == root_level
    assert sorted(r[2] for r in inner.log_records) == ["t0", "t1", "t2", "t3"]
    assert sorted(r[2] for r in outer.log_records) == ["after inner", "t0", "t1", "t2", "t3"]
    logging.getLogger("audit.later").warning("not captured")
    assert len(outer.log_records) == 5


def test_capture_under_someone_elses_hook_captures_each_record_once() -> None:
    original = logging.Logger.callHandlers
    seen: list[str] = []

    def theirs(self: logging.Logger, record: logging.LogRecord) -> None:
        seen.append(record.getMessage())
        hooked(self, record)

    first = Canaries(seed=1)
    with first:
        hooked = logging.Logger.callHandlers
        logging.Logger.callHandlers = theirs  # type: ignore[method-assign]
    try:
        # Ours stays inside their hook, inert; a new capture hooks on top, and records once.
        second = Canaries(seed=2)
        with second:
            _isolated("audit.hooked").warning("once")
        assert [r[2] for r in second.log_records] == ["once"]
        assert first.log_records == [] and seen == ["once"]
        assert logging.Logger.callHandlers is theirs
    finally:
        logging.Logger.callHandlers = original  # type: ignore[method-assign]


def test_capture_reads_the_traceback_of_an_exception() -> None:
    canaries = Canaries(seed=6)
    email = canaries.email()
    with canaries:
        try:
            raise ValueError(f"bad user {email}")
        except ValueError:
            _isolated("audit.exc").exception("lookup failed")
        leaks = canaries.leaks()
    assert [(x.kind, x.channel) for x in leaks] == [("email", "log")]


ISOLATED_SUITE = """
import logging


def test_isolated_logger(prodreal_canaries):
    p = prodreal_canaries.person()
    log = logging.getLogger("isolated")
    log.propagate = False
    log.addHandler(logging.NullHandler())
    log.error("ssn %s", p.ssn)
    prodreal_canaries.check("ok")
"""


def test_fixture_reads_a_logger_that_does_not_propagate(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    pytester.makepyfile(test_isolated=ISOLATED_SUITE)
    result = pytester.runpytest("-W", "default", *xdist_args)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ssn canary in log (logger 'isolated' at ERROR)*"])


# -- 6. guardrails judged by canaries only: canaries that never reached prove nothing ------------


def test_guardrails_with_unreached_canaries_records_nothing_and_warns() -> None:
    canaries = Canaries(seed=7, capture_logs=False)
    canaries.person()
    with (
        collecting_evidence() as sink,
        pytest.warns(ProdrealWarning, match="0 canaries reached the service"),
    ):
        result = check_guardrails(lambda m: "ok", ["hi"], canaries=canaries)
    assert result.held and not result.counted and sink.items == ()
    assert result.figures["canaries_reached"] == 0


def test_guardrails_with_canaries_in_the_inputs_counts() -> None:
    canaries = Canaries(seed=7, capture_logs=False)
    email = canaries.email()
    with collecting_evidence() as sink, warnings.catch_warnings():
        warnings.simplefilter("error", ProdrealWarning)
        result = check_guardrails(lambda m: "ok", [f"mail {email}", "hi"], canaries=canaries)
    assert result.held and result.counted and result.figures["canaries_reached"] == 1
    assert [(e.remedy, e.held) for e in sink.items] == [("guardrails", True)]


def test_guardrails_canaries_reached_before_the_check_do_not_count() -> None:
    canaries = Canaries(seed=8)
    email = canaries.email()
    with canaries:
        logging.getLogger("audit.before").info("user %s", email)  # before the check
        with pytest.warns(ProdrealWarning, match="0 canaries reached"):
            result = check_guardrails(lambda m: "ok", ["hi"], canaries=canaries)
        assert not result.counted
        # Reached during the check (a log line of the service): that counts.
        log = logging.getLogger("audit.during")
        result = check_guardrails(
            lambda m: log.info("user %s", email) or "ok", ["hi"], canaries=canaries
        )
    assert result.figures["canaries_reached"] == 1


def test_guardrails_with_other_judges_still_counts_attacks() -> None:
    canaries = Canaries(seed=9, capture_logs=False)
    canaries.person()
    with collecting_evidence() as sink:
        result = check_guardrails(lambda m: "ok", ["hi"], canaries=canaries, secrets=["ZEBRA-42"])
    assert result.counted and [e.held for e in sink.items] == [True]


GUARDRAILS_SUITE = """
import pytest

from pytest_prodreal import check_guardrails


@pytest.mark.prodreal("guardrails")
def test_unreached(prodreal_canaries):
    prodreal_canaries.person()
    check_guardrails(lambda m: "ok", ["hi"], canaries=prodreal_canaries)
"""


def test_unreached_canaries_are_declared_only(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    pytester.makepyfile(test_guard=GUARDRAILS_SUITE)
    result = pytester.runpytest(
        "--prodreal-report=json:out.json", "-W", "default", "-rw", *xdist_args
    )
    result.assert_outcomes(passed=1)
    data = json.loads((pytester.path / "out.json").read_text())
    status = {r["id"]: r["status"] for r in data["remedies"]}
    assert status["guardrails"] == "declared"
    if not xdist_args:  # xdist workers' warnings are not all relayed the same way
        result.stdout.fnmatch_lines(["*check_guardrails: 0 canaries reached the service*"])


# -- 7. abstentions in other languages -------------------------------------------------------------

ABSTAINING = [
    "I'm not certain about that.",
    "I don't have that information.",
    "Ich weiß es nicht.",
    "Das weiß ich nicht.",
    "Ich weiss es leider nicht.",
    "Dazu habe ich keine Informationen.",
    "Ich bin mir nicht sicher.",
    "Je ne le sais pas.",
    "Je ne suis pas sûr.",
    "Je n'en sais rien.",
    "No lo sé.",
    "No estoy seguro.",
    "Non sono sicuro.",
    "Não tenho certeza.",
    "Dat weet ik niet.",
    "Ik weet het niet zeker.",
    "我不确定。",
    "わかりかねます。",
]
ANSWERING = [
    "I know the answer: refunds take 5 days [d1].",
    "Die Lieferung dauert drei Tage [d1].",
    "Ich weiß, dass es drei Tage dauert [d1].",
    "No se puede devolver después de 30 días [d1].",
    "Non sono previsti rimborsi dopo 30 giorni [d1].",
    "Das Paket ist nicht beschädigt [d1].",
    "Je sais que la livraison prend 3 jours [d1].",
    "Ik weet dat het drie dagen duurt [d1].",
]


@pytest.mark.parametrize("answer", ABSTAINING)
def test_common_abstentions_are_found(answer: str) -> None:
    assert is_abstention(answer)


@pytest.mark.parametrize("answer", ANSWERING)
def test_ordinary_answers_are_not_abstentions(answer: str) -> None:
    assert not is_abstention(answer)


# -- 8. allow() of a route that does not exist -----------------------------------------------------


def test_allow_of_an_unknown_route_is_invalid_at_check_time() -> None:
    canaries = Canaries(seed=1)
    email = canaries.email()
    with canaries, Chaos(seed=1) as chaos:
        canaries.chaos = chaos
        chaos.post("https://llm.test/v1/chat", json={}, name="llm")
        chaos.get("https://crm.test/find", json={}, name="crm")
        canaries.allow("nonexistent-route")
        httpx.post("https://llm.test/v1/chat", json={"doc": email})
        with pytest.raises(InvalidArgument, match="nonexistent-route") as info:
            canaries.check("ok")
    text = str(info.value)
    assert "known routes: crm, llm" in text and "\n" not in text


def test_allow_without_chaos_is_invalid_at_check_time() -> None:
    canaries = Canaries(seed=1)
    canaries.email()
    canaries.allow("llm")
    with canaries, pytest.raises(InvalidArgument, match="no chaos routes"):
        canaries.check("ok")


def test_allow_of_a_route_defined_later_is_fine() -> None:
    canaries = Canaries(seed=1, capture_logs=False)
    email = canaries.email()
    canaries.allow("llm")  # before the route exists: judged at check time
    with Chaos(seed=1) as chaos:
        canaries.chaos = chaos
        chaos.post("https://llm.test/v1/chat", json={}, name="llm")
        httpx.post("https://llm.test/v1/chat", json={"doc": email})
        result = canaries.check("ok")
    assert result.held and result.reached == 1
