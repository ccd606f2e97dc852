"""The failure corpus: file format, concurrency, corruption, and the marker and fixture."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from pytest_prodreal.errors import InvalidArgument
from pytest_prodreal.inputs import CorpusError, FailureCorpus, merge_corpora
from pytest_prodreal.inputs.failure_corpus import corpus_file_for


def test_entries_are_sorted_deduplicated_and_readable(tmp_path: Path) -> None:
    corpus = FailureCorpus(tmp_path / "c.jsonl")
    assert corpus.entries() == []
    assert corpus.add([{"q": "zeta"}, {"q": "alpha", "n": 1}, {"q": "zeta"}]) == 2
    assert corpus.add([{"n": 1, "q": "alpha"}]) == 0  # same entry, other key order
    # Appended in the order found, one canonical line each (keys sorted).
    assert (tmp_path / "c.jsonl").read_text() == '{"q": "zeta"}\n{"n": 1, "q": "alpha"}\n'
    assert [(e.arguments, e.line) for e in corpus.entries()] == [
        ({"q": "zeta"}, 1),
        ({"n": 1, "q": "alpha"}, 2),
    ]
    assert corpus.compact() == 2  # sorted for a clean diff before committing
    assert (tmp_path / "c.jsonl").read_text() == '{"n": 1, "q": "alpha"}\n{"q": "zeta"}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["c.jsonl"]  # no lock or temp file left


def test_unicode_is_stored_as_text(tmp_path: Path) -> None:
    corpus = FailureCorpus(tmp_path / "c.jsonl")
    corpus.add([{"q": "caf\u00e9 \u200b"}])
    assert "café" in (tmp_path / "c.jsonl").read_text(encoding="utf-8")
    assert corpus.entries()[0].arguments == {"q": "caf\u00e9 \u200b"}


def _add_many(args: tuple[str, int]) -> int:
    path, worker = args
    corpus = FailureCorpus(path)
    return sum(corpus.add([{"worker": worker, "i": i}]) for i in range(40))


def test_concurrent_writers_lose_no_entry(tmp_path: Path) -> None:
    path = str(tmp_path / "c.jsonl")
    with ProcessPoolExecutor(4) as pool:
        added = sum(pool.map(_add_many, [(path, w) for w in range(4)]))
    entries = FailureCorpus(path).entries()
    assert added == len(entries) == 160
    lines = (tmp_path / "c.jsonl").read_text().splitlines()
    assert len(lines) == len(set(lines)) == 160


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"q": "a"}\n{"q": \n', r"c.jsonl:2: corrupt failure corpus line"),
        ('{"q": "a"}\n\n["q"]\n', r"c.jsonl:3: corrupt failure corpus line \(a JSON list"),
    ],
)
def test_a_corrupt_file_names_its_path_and_line(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "c.jsonl").write_text(content)
    with pytest.raises(CorpusError, match=message):
        FailureCorpus(tmp_path / "c.jsonl").entries()
    with pytest.raises(CorpusError, match=message):  # adding never overwrites a corrupt file
        FailureCorpus(tmp_path / "c.jsonl").add([{"q": "b"}])


def test_values_json_cannot_hold_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="cannot store"):
        FailureCorpus(tmp_path / "c.jsonl").add([{"q": b"bytes"}])
    with pytest.raises(InvalidArgument, match="must be a str or Path"):
        FailureCorpus(3)  # type: ignore[arg-type]


def test_file_names_and_merging(tmp_path: Path) -> None:
    assert corpus_file_for(tmp_path, "tests/test_a.py::TestX::test_y[1-2]") == (
        tmp_path / "tests" / "test_a" / "TestX.test_y.jsonl"
    )
    assert corpus_file_for(tmp_path, "t.py::test_z", name="shared").name == "shared.jsonl"
    src = tmp_path / "artifact"
    FailureCorpus(src / "tests" / "a.jsonl").add([{"q": 1}, {"q": 2}])
    FailureCorpus(tmp_path / "repo" / "tests" / "a.jsonl").add([{"q": 2}])
    assert merge_corpora(src, tmp_path / "repo") == 1
    assert len(FailureCorpus(tmp_path / "repo" / "tests" / "a.jsonl").entries()) == 2


GIVEN_TEST = """
import pytest
from hypothesis import given, settings
from pytest_prodreal import strategies as ps

def classify(text):
    return "booking" if {check} else "other"

@pytest.mark.prodreal_corpus
@settings(database=None, max_examples=200, derandomize=True)
@given(text=ps.typos("book a table"))
def test_intent(text, tmp_path_factory):
    assert tmp_path_factory.getbasetemp()  # fixtures still reach the test when replayed
    assert classify(text) == "booking"
"""


def test_marker_saves_the_shrunk_failure_and_replays_it_first(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    pytester.makepyfile(test_given=GIVEN_TEST.format(check='"table" in text'))
    result = pytester.runpytest(*xdist_args)
    result.assert_outcomes(failed=1)
    corpus = pytester.path / "prodreal-corpus" / "test_given" / "test_intent.jsonl"
    (line,) = corpus.read_text().splitlines()
    saved = json.loads(line)["text"]
    assert "table" not in saved and len(saved) >= len("book a table") - 1  # one typo

    if xdist_args:
        return  # saving from a worker is what xdist changes; replay is the same code path

    # Fixed code (the check no longer fails): the saved case still runs first and passes.
    pytester.makepyfile(test_given=GIVEN_TEST.format(check="True"))
    pytester.runpytest().assert_outcomes(passed=1)

    # A regression: the saved example fails again, before Hypothesis even starts.
    pytester.makepyfile(test_given=GIVEN_TEST.format(check="text != " + repr(saved)))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*failure corpus regression: the example saved at *test_intent.jsonl:1 fails again*"]
    )


def test_replay_mode_never_writes_and_off_mode_ignores(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_given=GIVEN_TEST.format(check='"table" in text'))
    pytester.runpytest("--prodreal-corpus=replay").assert_outcomes(failed=1)
    assert not (pytester.path / "prodreal-corpus").exists()
    corpus = pytester.path / "prodreal-corpus" / "test_given" / "test_intent.jsonl"
    corpus.parent.mkdir(parents=True)
    corpus.write_text("not json\n")
    pytester.makepyfile(test_given=GIVEN_TEST.format(check="True"))
    pytester.runpytest("--prodreal-corpus=off").assert_outcomes(passed=1)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*test_intent.jsonl:1: corrupt failure corpus line*"])


def test_corpus_dir_option_and_ini(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_given=GIVEN_TEST.format(check='"table" in text'))
    pytester.runpytest("--prodreal-corpus-dir=cases").assert_outcomes(failed=1)
    assert (pytester.path / "cases" / "test_given" / "test_intent.jsonl").exists()
    pytester.makeini("[pytest]\nprodreal_corpus_dir = from_ini\n")
    pytester.runpytest().assert_outcomes(failed=1)
    assert (pytester.path / "from_ini" / "test_given" / "test_intent.jsonl").exists()


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (
            ["--prodreal-corpus=sometimes"],
            "",
            "--prodreal-corpus: invalid value 'sometimes'; choose one of record, replay, off",
        ),
        (
            [],
            "[pytest]\nprodreal_corpus = bogus\n",
            "ini option 'prodreal_corpus': invalid value 'bogus'; "
            "choose one of record, replay, off",
        ),
        (["--prodreal-corpus-dir=afile"], "", "'*afile' is a file, not a directory"),
    ],
)
def test_bad_options_are_usage_errors(
    pytester: pytest.Pytester, args: list[str], ini: str, message: str
) -> None:
    if ini:
        pytester.makeini(ini)
    pytester.makefile("", afile="x")
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])


def test_marker_on_a_test_without_given(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.prodreal_corpus
        def test_plain():
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR collecting*",
            "*test_plain: @pytest.mark.prodreal_corpus needs a Hypothesis @given test*",
        ]
    )


def test_marker_with_bad_arguments(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.prodreal_corpus(name=3)
        def test_plain(prodreal_corpus):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*prodreal_corpus name= must be a non-empty str, got 3*"])


def test_fixture_for_hand_written_replay(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def parse(text):
            return int(text.strip())

        def test_parse(prodreal_corpus):
            for entry in prodreal_corpus.entries:
                parse(entry.arguments["text"])
            for text in ["1", " 2 ", "3x"]:
                try:
                    parse(text)
                except ValueError:
                    prodreal_corpus.save({"text": text})
                    raise
        """
    )
    pytester.runpytest().assert_outcomes(failed=1)
    corpus = (
        pytester.path
        / "prodreal-corpus"
        / "test_fixture_for_hand_written_replay"
        / ("test_parse.jsonl")
    )
    assert [e.arguments for e in FailureCorpus(corpus).entries()] == [{"text": "3x"}]
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ValueError: invalid literal for int()*'3x'*"])


def test_evidence_reaches_the_report(pytester: pytest.Pytester) -> None:
    pytester.makefile(".jsonl", traffic='{"q": "hello"}\n')
    pytester.makepyfile(
        test_given=GIVEN_TEST.format(check="True"),
        test_traffic="""
        import pytest

        @pytest.mark.prodreal_traffic("traffic.jsonl", field="q")
        def test_t(q):
            assert q
        """,
    )
    pytester.runpytest("--prodreal-report=json:r.json").assert_outcomes(passed=2)
    report = json.loads((pytester.path / "r.json").read_text())
    evidence = {
        (e["remedy"], e["held"], e["check"]) for t in report["tests"] for e in t["evidence"]
    }
    assert evidence == {
        ("failure_corpus", True, "prodreal_corpus"),
        ("shadow_traffic", True, "prodreal_traffic"),
    }


def test_lock_file_fallback_without_fcntl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "fcntl", None)  # as on Windows: import fcntl fails
    corpus = FailureCorpus(tmp_path / "c.jsonl")
    assert corpus.add([{"q": 1}, {"q": 2}]) == 2
    assert corpus.add([{"q": 2}, {"q": 3}]) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl"]  # lock file removed


def test_examples_json_cannot_hold_are_skipped_with_a_warning(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from hypothesis import given, settings, strategies as st

        @pytest.mark.prodreal_corpus
        @settings(database=None)
        @given(data=st.binary(min_size=1))
        def test_bytes(data):
            assert not data
        """
    )
    result = pytester.runpytest("-W", "default")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ProdrealWarning*not saved to the failure corpus*cannot store*"])
    assert not (pytester.path / "prodreal-corpus").exists()


def test_marker_on_a_test_method(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from hypothesis import given, settings, strategies as st

        class TestParse:
            @pytest.mark.prodreal_corpus
            @settings(database=None, derandomize=True)
            @given(n=st.integers())
            def test_small(self, n):
                assert n < 1000
        """
    )
    pytester.runpytest().assert_outcomes(failed=1)
    corpus = (
        pytester.path
        / "prodreal-corpus"
        / "test_marker_on_a_test_method"
        / ("TestParse.test_small.jsonl")
    )
    assert [e.arguments for e in FailureCorpus(corpus).entries()] == [{"n": 1000}]
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*failure corpus regression*TestParse.test_small.jsonl:1*"])
