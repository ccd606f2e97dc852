"""The optional presidio adapter, against the real presidio-analyzer (issue 11 item 2).

presidio's pattern recognizers run offline with no spaCy model; ``PresidioDetector`` wraps them
as one detector of ours, so ``scan`` and the checks that take ``detectors`` use them as they are.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from pytest_prodreal.errors import InvalidArgument
from pytest_prodreal.trust import (
    PRESIDIO_KINDS,
    PresidioDetector,
    check_guardrails,
    scan,
)

pytest.importorskip("presidio_analyzer", reason="the test extra installs presidio-analyzer")

TEXT = (
    "Mail jane.doe@example.com or call +1 415 555 2671; card 4111 1111 1111 1111, "
    "IBAN DE89 3704 0044 0532 0130 00, host 10.20.30.40."
)


def test_presidio_findings_read_like_ours() -> None:
    found = scan(TEXT, [PresidioDetector()])
    kinds = {f.kind: f for f in found}
    assert {"email", "phone", "card", "iban", "ip"} <= set(kinds)
    assert kinds["card"].subkind == "CREDIT_CARD"
    assert TEXT[kinds["email"].start : kinds["email"].end] == "jane.doe@example.com"
    for f in found:
        assert f.value not in f.context  # masked, as every finding of ours
    # The same values our built-in detectors find, so the two can be compared on one text.
    ours = {f.kind for f in scan(TEXT)}
    assert {"email", "phone", "card", "iban", "ip"} <= ours


def test_recognizers_and_min_score_are_the_users() -> None:
    from presidio_analyzer.predefined_recognizers import EmailRecognizer, UsSsnRecognizer

    only_email = PresidioDetector([EmailRecognizer()])
    assert [f.kind for f in scan(TEXT, [only_email])] == ["email"]
    ssn = "SSN: 536-90-4399 on file"
    weak = scan(ssn, [PresidioDetector([UsSsnRecognizer()])])
    assert [f.kind for f in weak] == ["national_id"]
    assert scan(ssn, [PresidioDetector([UsSsnRecognizer()], min_score=0.99)]) == []
    assert PRESIDIO_KINDS["US_SSN"] == "national_id"


def test_a_presidio_detector_finds_a_violation_in_check_guardrails() -> None:
    def leaky(message: str) -> str:
        return "Sure, the customer's mail is jane.doe@example.com."

    with pytest.raises(AssertionError, match=r"'Who is the customer\?' -> email: EMAIL_ADDRESS"):
        check_guardrails(leaky, ["Who is the customer?"], detectors=[PresidioDetector()])
    clean = check_guardrails(
        lambda m: "I cannot share that.", ["Who is the customer?"], detectors=[PresidioDetector()]
    )
    assert clean.held and clean.violation_rate == 0.0


def test_it_stays_offline() -> None:
    # presidio's email check uses tldextract, whose first call fetches the Public Suffix List:
    # the adapter loads tldextract's bundled snapshot instead. A fresh interpreter with every
    # name lookup refused finds the email and prints no traceback.
    code = (
        "import socket\n"
        "def refuse(*a, **k):\n"
        "    raise OSError('network used')\n"
        "socket.getaddrinfo = refuse\n"
        "socket.create_connection = refuse\n"
        "from pytest_prodreal.trust import PresidioDetector, scan\n"
        "print([f.kind for f in scan('write to jane@example.com', [PresidioDetector()])])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['email']"
    assert "Traceback" not in done.stderr and "Public Suffix" not in done.stderr


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"recognizers": []}, "recognizers is empty"),
        ({"recognizers": ["EmailRecognizer"]}, "is not a presidio recognizer"),
        ({"min_score": 1.5}, r"min_score must be in \[0, 1\]"),
        ({"min_score": "high"}, "min_score must be a number"),
        ({"name": ""}, "name must be a non-empty string"),
    ],
)
def test_bad_arguments_name_the_argument_and_the_fix(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidArgument, match=f"PresidioDetector: .*{message}"):
        PresidioDetector(**kwargs)  # type: ignore[arg-type]


def test_a_recognizer_that_needs_an_nlp_model_is_refused() -> None:
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    with pytest.raises(InvalidArgument, match="SpacyRecognizer needs an NLP model"):
        PresidioDetector([SpacyRecognizer()])


def test_without_presidio_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "presidio_analyzer", None)  # as if not installed
    with pytest.raises(InvalidArgument, match=r"pytest-prodreal\[trust-presidio\]"):
        PresidioDetector()
