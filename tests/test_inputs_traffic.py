"""Shadow traffic: loading, sampling, scrubbing, bad rows, and the prodreal_traffic marker."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_prodreal.errors import InvalidArgument
from pytest_prodreal.inputs import TrafficError, load_traffic, scrub_pii


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_field_and_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path / "t.jsonl", '{"q": "a"}\n\n{"q": "b", "x": 1}\n')
    records = load_traffic(path, field="q")
    assert [(r.value, r.line, r.id) for r in records] == [
        ("a", 1, "t.jsonl:1"),
        ("b", 3, "t.jsonl:3"),
    ]


def test_dotted_field_and_whole_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "t.ndjson", '{"req": {"q": "hi"}}\n')
    assert load_traffic(path, field="req.q")[0].value == "hi"
    assert load_traffic(path)[0].value == {"req": {"q": "hi"}}


def test_csv(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", 'id,query\n1,hello\n2,"a, b"\n')
    assert [r.value for r in load_traffic(path, field="query")] == ["hello", "a, b"]


def test_sampling_is_seeded_and_keeps_file_order(tmp_path: Path) -> None:
    path = write(tmp_path / "t.jsonl", "".join(f'{{"q": "{i}"}}\n' for i in range(100)))
    a = load_traffic(path, field="q", sample=10, seed=1)
    assert a == load_traffic(path, field="q", sample=10, seed=1)
    assert a != load_traffic(path, field="q", sample=10, seed=2)
    assert [r.line for r in a] == sorted(r.line for r in a) and len(a) == 10
    assert len(load_traffic(path, field="q", sample=0.25)) == 25


def test_scrubbing_pii(tmp_path: Path) -> None:
    text = "mail ada@example.com or call +44 20 7946 0958, card 4111 1111 1111 1111"
    assert scrub_pii(text) == "mail <EMAIL> or call <PHONE>, card <CARD>"
    path = write(tmp_path / "t.jsonl", f'{{"q": "{text}"}}\n')
    assert load_traffic(path, field="q", scrub=True)[0].value == scrub_pii(text)
    assert load_traffic(path, field="q", scrub=str.upper)[0].value == text.upper()


@pytest.mark.parametrize(
    ("name", "content", "kwargs", "message"),
    [
        ("t.jsonl", '{"q": 1}\n{"q": \n', {"field": "q"}, r"t.jsonl:2: not valid JSON"),
        (
            "t.jsonl",
            '{"q": 1}\n{"x": 2}\n',
            {"field": "q"},
            r"t.jsonl:2: row has no field 'q' \(its fields: x\)",
        ),
        ("t.csv", "a,b\n1,2\n3\n", {"field": "a"}, r"t.csv:3: the row's cells do not match"),
        ("t.csv", "a,b\n1,2\n", {"field": "c"}, r"t.csv:2: row has no field 'c'"),
        ("t.txt", "x\n", {}, r"unknown format '.txt'"),
    ],
)
def test_bad_rows_name_the_file_and_line(
    tmp_path: Path, name: str, content: str, kwargs: dict[str, object], message: str
) -> None:
    path = write(tmp_path / name, content)
    with pytest.raises(TrafficError, match=message):
        load_traffic(path, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sample": 0}, "sample=0 must be >= 1 rows"),
        ({"sample": 1.5}, r"sample=1.5 must be a fraction in \(0, 1\]"),
        ({"field": ""}, "field must be a non-empty str"),
        ({"scrub": 3}, "scrub must be a bool or a function"),
    ],
)
def test_bad_arguments(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    path = write(tmp_path / "t.jsonl", '{"q": 1}\n')
    with pytest.raises(InvalidArgument, match=message):
        load_traffic(path, **kwargs)  # type: ignore[arg-type]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TrafficError, match="does not exist"):
        load_traffic(tmp_path / "nope.jsonl")


def test_marker_parametrizes_from_recorded_traffic(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".jsonl", traffic='{"q": "reset password"}\n{"q": "cancel order"}\n{"q": ""}\n'
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.prodreal_traffic("traffic.jsonl", field="q")
        def test_nonempty(q):
            assert q.strip()
        """
    )
    result = pytester.runpytest("-v")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["FAILED *test_nonempty?traffic.jsonl:3?*"])


def test_marker_bad_row_is_a_collection_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".jsonl", traffic='{"q": "ok"}\n{"q": oops}\n')
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.prodreal_traffic("traffic.jsonl", field="q")
        def test_t(q):
            assert q
        """
    )
    result = pytester.runpytest()
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*prodreal_traffic: *traffic.jsonl:2: not valid JSON*"])


def test_marker_argument_the_test_does_not_take(pytester: pytest.Pytester) -> None:
    pytester.makefile(".jsonl", traffic='{"q": "ok"}\n')
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.prodreal_traffic("traffic.jsonl", field="q")
        def test_t(query):
            assert query
        """
    )
    result = pytester.runpytest()
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*parametrizes the argument 'q', which the test does not take*"])


def test_marker_sampling_is_the_same_on_every_xdist_worker(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    pytester.makefile(".jsonl", traffic="".join(f'{{"q": "q{i}"}}\n' for i in range(50)))
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.prodreal_traffic("traffic.jsonl", field="q", sample=5)
        def test_t(q):
            assert q.startswith("q")
        """
    )
    # Without --prodreal-seed the run seed is fresh: workers must still collect the same rows.
    pytester.runpytest(*xdist_args).assert_outcomes(passed=5)
    a = pytester.runpytest("--prodreal-seed=7", "--collect-only", "-q").outlines
    b = pytester.runpytest("--prodreal-seed=7", "--collect-only", "-q").outlines
    assert [line for line in a if "::" in line] == [line for line in b if "::" in line]
