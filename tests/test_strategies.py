"""The messy-input strategies: what they generate, what they shrink to, how they reject bad args."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import subprocess
import sys
import unicodedata
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from pytest_prodreal import strategies as ps
from pytest_prodreal.errors import InvalidArgument
from pytest_prodreal.inputs.perturbations import Perturber, perturb, perturbation_names

CLEAN = "book a table for two tomorrow"
FAST = settings(max_examples=60, database=None, deadline=None, derandomize=True)
FIND = settings(max_examples=500, database=None, deadline=None, derandomize=True)


def edit_regions(a: str, b: str) -> int:
    """How many separate places differ between a and b (a transposition counts as one)."""
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    changed = [op for op in ops if op[0] != "equal"]
    if len(changed) == 2 and changed[1][1] - changed[0][2] <= 1:
        return 1  # "le" -> "el" shows as two edits one character apart
    return len(changed)


# --- shrinking toward the clean input -------------------------------------------------------


def one_step_results(text: str, kinds: object = None) -> set[str]:
    """Every text one perturbation step can make from ``text`` (positions and choices < 64)."""
    perturber = Perturber(kinds)  # type: ignore[arg-type]
    return {
        kind.apply(text, pos, choice)
        for kind in perturber.kinds
        if kind.name not in ("pii", "long")
        for pos in range(64)
        for choice in range(64)
    }


def test_a_failure_shrinks_to_a_single_perturbation() -> None:
    found = find(ps.messy_text(CLEAN), lambda s: "table" not in s, settings=FIND)
    assert found in one_step_results(CLEAN), found


def test_a_typo_failure_shrinks_to_one_typo() -> None:
    found = find(ps.typos(CLEAN), lambda s: "table" not in s, settings=FIND)
    assert edit_regions(CLEAN, found) == 1, found
    assert abs(len(found) - len(CLEAN)) <= 1, found


def test_a_unicode_failure_shrinks_to_one_invisible_character() -> None:
    found = find(ps.messy_text(CLEAN), lambda s: "\u200b" in s or "\u200c" in s, settings=FIND)
    assert len(found) == len(CLEAN) + 1
    assert found.replace("\u200b", "").replace("\u200c", "") == CLEAN


def test_truncation_shrinks_to_one_character_less() -> None:
    found = find(ps.truncations(CLEAN), lambda s: s != CLEAN, settings=FIND)
    assert found == CLEAN[:-1]


def test_case_noise_shrinks_to_lower_case() -> None:
    found = find(ps.case_noise("Book A Table"), lambda s: s != "Book A Table", settings=FIND)
    assert found == "book a table"


def test_strategy_of_clean_text_shrinks_too() -> None:
    base = st.sampled_from(["zzz top", "book a table"])
    found = find(ps.typos(base), lambda s: "book" in s and s != "book a table", settings=FIND)
    assert edit_regions("book a table", found) == 1


def test_min_perturbations_zero_reaches_the_clean_text() -> None:
    found = find(ps.messy_text(CLEAN, min_perturbations=0), lambda s: True, settings=FIND)
    assert found == CLEAN


def test_messy_json_shrinks_to_one_missing_field() -> None:
    doc = {"name": "Ada", "age": 36, "tags": ["a"]}
    found = find(ps.messy_json(doc), lambda d: "age" not in d, settings=FIND)
    assert found == {"name": "Ada", "tags": ["a"]}


def test_messy_numbers_shrink_to_plain_zero() -> None:
    found = find(ps.messy_numbers(), lambda m: True, settings=FIND)
    assert (found.text, found.value, found.format) == ("0", Decimal(0), "plain")


# --- what each strategy generates -----------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "looks_messy"),
    [
        (
            ps.typos(CLEAN, max_perturbations=1),
            lambda s: s != CLEAN and abs(len(s) - len(CLEAN)) <= 1,
        ),
        (ps.whitespace_noise(CLEAN), lambda s: s.split() == CLEAN.split() and s != CLEAN),
        (ps.case_noise(CLEAN), lambda s: s.lower() == CLEAN.lower()),
        (ps.abbreviations("please call me tomorrow"), lambda s: s != "please call me tomorrow"),
        (ps.slang("I do not know"), lambda s: s != "I do not know"),
        (ps.unicode_noise(CLEAN), lambda s: s != CLEAN),
        (ps.repetitions(CLEAN), lambda s: len(s) > len(CLEAN)),
        (ps.mojibake("café"), lambda s: "Ã" in s or "\ufffd" in s),
        (ps.markup(CLEAN), lambda s: any(c in s for c in "<*#`[-&")),
        (ps.injections(CLEAN), lambda s: len(s) > len(CLEAN)),
        (ps.pii_text(CLEAN), lambda s: len(s) > len(CLEAN)),
        (
            ps.empty_like(),
            lambda s: (
                s.strip()
                in {
                    "",
                    "null",
                    "None",
                    "NULL",
                    "N/A",
                    "n/a",
                    "-",
                    "undefined",
                    "NaN",
                    "nil",
                    "[]",
                    "{}",
                    '""',
                    "0",
                }
            ),
        ),
        (ps.long_text("hi"), lambda s: 1_000 <= len(s) <= 100_000),
        (ps.messy_text(), lambda s: isinstance(s, str)),
    ],
)
def test_every_example_is_messy(strategy: st.SearchStrategy[str], looks_messy: object) -> None:
    @FAST
    @given(strategy)
    def check(text: str) -> None:
        assert looks_messy(text), repr(text)  # type: ignore[operator]

    check()


def test_messy_text_covers_every_kind_of_noise() -> None:
    """The default mix reaches every perturbation kind (seeded, so this is stable)."""
    import random

    perturber = Perturber()
    rng = random.Random(0)
    seen = {perturber.kind_of(perturber.random_plan(rng)[0]).name for _ in range(3000)}
    assert seen == set(perturbation_names())


def test_nfd_and_homoglyphs_really_change_the_code_points() -> None:
    assert perturb("café", "nfd", seed=1) == unicodedata.normalize("NFD", "café")
    out = perturb("paypal", "homoglyph", seed=3)
    assert out != "paypal" and unicodedata.normalize("NFKC", out) != "paypal"


def test_pii_is_seeded_from_the_plan_not_global_state() -> None:
    import random

    from faker import Faker
    from faker.generator import random as faker_random

    a = perturb(CLEAN, "pii", seed=7)
    saved = random.getstate(), faker_random.getstate()
    try:
        random.seed(12345)  # global state must not matter
        Faker.seed(999)
        assert perturb(CLEAN, "pii", seed=7) == a
        assert perturb(CLEAN, "pii", seed=8) != a
    finally:  # leave the process's shared random state as other tests found it
        random.setstate(saved[0])
        faker_random.setstate(saved[1])


@FAST
@given(ps.messy_numbers())
def test_messy_numbers_text_means_the_value(m: ps.Messy[Decimal]) -> None:
    digits = "".join(c for c in m.text if c.isdigit())
    if m.format.startswith("scientific"):
        assert Decimal(m.text) == m.value
    else:
        assert digits.lstrip("0") == f"{abs(m.value):f}".replace(".", "").lstrip("0")


@FAST
@given(ps.messy_dates())
def test_messy_dates_round_trip_for_unambiguous_formats(m: ps.Messy[dt.date]) -> None:
    if m.format == "iso":
        assert dt.date.fromisoformat(m.text) == m.value
    if m.format == "compact":
        assert dt.datetime.strptime(m.text, "%Y%m%d").date() == m.value
    assert str(m.value.year)[-2:] in m.text or m.format == "relative"


def test_messy_dates_use_relative_words_near_today() -> None:
    today = dt.date(2024, 3, 5)
    found = find(ps.messy_dates(relative_to=today), lambda m: m.text == "tomorrow", settings=FIND)
    assert found.value == dt.date(2024, 3, 6)


@FAST
@given(ps.messy_datetimes())
def test_messy_datetimes_are_aware_and_iso_round_trips(m: ps.Messy[dt.datetime]) -> None:
    assert m.value.tzinfo is not None
    if m.format == "iso":
        assert dt.datetime.fromisoformat(m.text) == m.value
    if m.format == "epoch":
        assert dt.datetime.fromtimestamp(int(m.text), dt.timezone.utc) == m.value


@FAST
@given(ps.messy_phone_numbers())
def test_messy_phone_numbers_keep_the_subscriber_digits(m: ps.Messy[str]) -> None:
    assert m.value.startswith("+")
    national_tail = m.value[-6:]
    assert national_tail in "".join(c for c in m.text if c.isdigit())


@FAST
@given(
    ps.messy_json(
        schema={
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "email": {"type": "string", "format": "email"},
                "items": {"type": "array", "items": {"type": "string"}},
            },
        }
    )
)
def test_messy_json_from_a_schema_is_damaged_json(doc: object) -> None:
    json.dumps(doc)  # still JSON data
    clean = {"id": 1, "email": "user@example.com", "items": ["text"]}
    assert doc != clean


@FAST
@given(ps.messy_json({"a": {"b": [1, 2]}}, as_text=True, max_damage=3))
def test_messy_json_as_text_is_parseable(text: str) -> None:
    assert isinstance(json.loads(text), dict)


def test_shadow_traffic_strategy_is_perturbable(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "t.jsonl"
    path.write_text('{"q": "reset my password"}\n{"q": "cancel my order"}\n')
    # Hypothesis mixes string constants from every loaded module into generation, so what a
    # search of 500 examples visits depends on what else the process imported: search longer.
    found = find(
        ps.messy_text(ps.shadow_traffic(path, field="q")),
        lambda s: "pasword" in s,
        settings=settings(FIND, max_examples=3000),
    )
    assert found == "reset my pasword"


# --- health checks --------------------------------------------------------------------------

DEFAULT_USE = [
    ps.messy_text(),
    ps.perturbed(),
    ps.typos(),
    ps.abbreviations(),
    ps.slang(),
    ps.case_noise(),
    ps.whitespace_noise(),
    ps.unicode_noise(),
    ps.truncations(),
    ps.repetitions(),
    ps.mojibake(),
    ps.markup(),
    ps.injections(),
    ps.pii_text(),
    ps.empty_like(),
    ps.long_text(),
    ps.messy_numbers(),
    ps.messy_dates(),
    ps.messy_datetimes(),
    ps.messy_phone_numbers(),
    ps.messy_json({"a": 1, "b": [1, 2], "c": {"d": "x"}}),
]


@pytest.mark.parametrize("strategy", DEFAULT_USE, ids=lambda s: repr(s)[:40])
def test_default_use_passes_every_health_check(strategy: st.SearchStrategy[object]) -> None:
    # Health checks are on by default; only the example count is lowered to keep this fast.
    @settings(max_examples=40, database=None, suppress_health_check=())
    @given(strategy)
    def check(value: object) -> None:
        assert value is not None

    check()


def test_the_health_check_list_is_the_real_one() -> None:
    assert HealthCheck.too_slow in list(HealthCheck)  # guards the test above against renames


# --- bad arguments --------------------------------------------------------------------------

BAD = [
    (lambda: ps.messy_text(max_perturbations=-1), "max_perturbations=-1 must be >= 0"),
    (
        lambda: ps.messy_text(min_perturbations=3, max_perturbations=1),
        "min_perturbations=3 is greater than max_perturbations=1",
    ),
    (lambda: ps.messy_text(kinds=["typoz"]), "unknown perturbation 'typoz' in kinds. Did you mean"),
    (lambda: ps.messy_text(kinds=[]), "kinds is empty"),
    (lambda: ps.messy_text(kinds={"typos": -1}), "weight of 'typos' in kinds must be a number"),
    (lambda: ps.messy_text(kinds={"typos": 0}), "every weight in kinds is 0"),
    (lambda: ps.messy_text(42), "text must be a str or a Hypothesis strategy"),  # type: ignore[arg-type]
    (lambda: ps.typos(keyboard=""), "keyboard='' is an empty alphabet"),
    (lambda: ps.typos(keyboard="qwerrty"), "unknown keyboard 'qwerrty'; did you mean 'qwerty'"),
    (lambda: ps.empty_like([]), "values is empty"),
    (lambda: ps.long_text(min_size=-5), "min_size=-5 must be >= 0"),
    (lambda: ps.long_text(min_size=10, max_size=5), "min_size=10 is greater than max_size=5"),
    (lambda: ps.injections(families=["xss"]), "unknown family 'xss' in families"),
    (lambda: ps.injections(families=[]), "families is empty"),
    (lambda: ps.messy_numbers(min_value=5, max_value=1), "min_value=Decimal('5') is greater"),
    (lambda: ps.messy_numbers(places=-1), "places=-1 must be >= 0"),
    (
        lambda: ps.messy_dates(min_value=dt.date(2030, 1, 1), max_value=dt.date(2020, 1, 1)),
        "min_value=datetime.date(2030, 1, 1) is greater than max_value",
    ),
    (
        lambda: ps.messy_datetimes(min_value=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)),
        "min_value must be a naive datetime",
    ),
    (lambda: ps.messy_phone_numbers(["ZZ"]), "unknown region 'ZZ' in regions"),
    (lambda: ps.messy_phone_numbers([]), "regions is empty"),
    (lambda: ps.messy_json(), "pass exactly one of example= or schema="),
    (lambda: ps.messy_json({"a": b"x"}), "example['a'] is a bytes, not JSON data"),
    (lambda: ps.messy_json({"a": 1}, damage=("gone",)), "unknown damage 'gone'"),
    (lambda: ps.messy_json({"a": 1}, min_damage=2, max_damage=1), "min_damage=2 is greater"),
    (lambda: ps.messy_json(schema={"type": "widget"}), "unknown type 'widget'"),
    (lambda: perturb("x", seed=0, count=-1), "count must be an int >= 0"),
]


@pytest.mark.parametrize(("make", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_arguments_raise_invalid_argument_naming_the_argument(
    make: object, message: str
) -> None:
    with pytest.raises(InvalidArgument) as info:
        make()  # type: ignore[operator]
    assert message in str(info.value)
    assert isinstance(info.value, (ValueError, TypeError))


def test_errors_are_raised_when_the_strategy_is_built_not_when_drawn() -> None:
    with pytest.raises(InvalidArgument, match="max_perturbations"):
        ps.typos("x", max_perturbations=-2)


def test_importing_the_glue_does_not_import_hypothesis_or_faker() -> None:
    code = (
        "import sys, pytest_prodreal._glue.inputs, pytest_prodreal.inputs; "
        "bad = [m for m in ('hypothesis', 'faker') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("schema", "example"),
    [
        ({"type": "object", "properties": {"n": {"type": "number", "minimum": 2}}}, {"n": 2.0}),
        ({"type": ["null", "integer"]}, 1),
        ({"enum": ["b", "a"]}, "b"),
        ({"const": {"k": 1}}, {"k": 1}),
        ({"examples": [[1]]}, [1]),
        ({"anyOf": [{"type": "boolean"}, {"type": "string"}]}, True),
        ({"items": {"type": "null"}, "minItems": 2}, [None, None]),
        ({"type": "string", "format": "date"}, "2024-03-05"),
        ({"type": "string", "minLength": 10}, "texttexttext"),
    ],
)
def test_example_from_schema(schema: dict[str, object], example: object) -> None:
    assert ps.example_from_schema(schema) == example


def test_a_text_strategy_that_draws_no_str_is_a_clear_error() -> None:
    @FAST
    @given(ps.messy_text(st.just({"q": "hi"})))  # type: ignore[arg-type]
    def check(text: str) -> None:
        pass

    with pytest.raises(InvalidArgument, match=r"messy_text: the text strategy drew \{'q': 'hi'\}"):
        check()
