"""pytest glue for the ``inputs`` category: failure corpus and shadow traffic.

- ``@pytest.mark.prodreal_corpus`` on a Hypothesis ``@given`` test replays the test's saved failing
  examples first, then runs Hypothesis, and saves the examples Hypothesis reports as failing.
- The ``prodreal_corpus`` fixture gives any test its corpus file to replay and save by hand
  (``failure_corpus`` is its deprecated old name).
- ``@pytest.mark.prodreal_traffic(path, field=...)`` parametrizes a test with recorded inputs.

Evidence (see docs/inputs.md): both markers *declare* their remedy, and record evidence only
from what was exercised — a traffic test whose body reads the recorded input and checks
something (an ``assert`` or a check call) and passed; a corpus test that replayed or saved at
least one example, or ran Hypothesis examples through a body that checks something.

Importing this module imports neither Hypothesis nor Faker; per-test hooks return at once for
tests without these markers.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..seeding import derive_seed
from .part import MarkerSpec, Part
from .session import STATE_KEY, get_state
from .settings import Settings

if TYPE_CHECKING:
    from ..inputs.failure_corpus import TestCorpus

__all__ = ["failure_corpus", "prodreal_corpus"]

#: This run's id (xdist workers share the controller's ``testrunuid``), tagging corpus saves.
_RUN_ID_KEY = pytest.StashKey[str]()

_CORPUS_MARKER = (
    "prodreal_corpus(name=None): replay this @given test's saved failing examples first and save "
    "new failing examples to its failure corpus file (name= shares a file between tests)"
)
_TRAFFIC_MARKER = (
    "prodreal_traffic(path, field=None, *, argname=None, sample=None, seed=None, scrub=False): "
    "parametrize the test with recorded inputs from a JSONL or CSV file (path relative to the "
    "test file)"
)


# --- shadow traffic ---------------------------------------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Check ``prodreal_corpus`` markers; parametrize ``prodreal_traffic`` tests with their rows."""
    keywords = metafunc.definition.keywords  # marker names, from the function up to the module
    if "prodreal_corpus" not in keywords and "prodreal_traffic" not in keywords:
        return  # cheap dictionary lookups for the (usual) test that uses neither
    corpus_marker = metafunc.definition.get_closest_marker("prodreal_corpus")
    if corpus_marker is not None:
        _check_corpus_marker(metafunc, corpus_marker)
    marker = metafunc.definition.get_closest_marker("prodreal_traffic")
    if marker is None:
        return
    from ..errors import InvalidArgument
    from ..inputs.shadow_traffic import load_traffic

    where = metafunc.definition.nodeid
    if len(marker.args) != 1 or not isinstance(marker.args[0], (str, Path)):
        pytest.fail(
            f"{where}: prodreal_traffic needs exactly one positional argument, the path of a "
            "JSONL or CSV file",
            pytrace=False,
        )
    kwargs = dict(marker.kwargs)
    unknown = set(kwargs) - {"field", "argname", "sample", "seed", "scrub"}
    if unknown:
        pytest.fail(
            f"{where}: prodreal_traffic got unknown keyword(s) {', '.join(sorted(unknown))}; "
            "valid: field, argname, sample, seed, scrub",
            pytrace=False,
        )
    field = kwargs.get("field")
    argname = kwargs.get("argname") or (
        field if isinstance(field, str) and field.isidentifier() else "record"
    )
    if not isinstance(argname, str) or not argname.isidentifier():
        pytest.fail(
            f"{where}: prodreal_traffic argname={argname!r} must be the name of a test argument",
            pytrace=False,
        )
    if argname in getattr(metafunc, "_arg2fixturedefs", {}):
        pytest.fail(
            f"{where}: prodreal_traffic argname={argname!r} shadows the fixture {argname!r}; "
            "pass another argname= (and rename the test's argument)",
            pytrace=False,
        )
    if argname not in metafunc.fixturenames:
        pytest.fail(
            f"{where}: prodreal_traffic parametrizes the argument {argname!r}, which the test "
            f"does not take; add it to the test's signature or pass argname=",
            pytrace=False,
        )
    path = Path(marker.args[0])
    if not path.is_absolute():
        path = Path(metafunc.definition.path).parent / path
    if path.is_dir():
        pytest.fail(
            f"{where}: prodreal_traffic: {str(path)!r} is a directory; pass the path of a JSONL "
            "or CSV file",
            pytrace=False,
        )
    seed = kwargs.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        pytest.fail(
            f"{where}: prodreal_traffic seed={seed!r} must be a whole number >= 0 (or leave it "
            "out to derive one from the run seed)",
            pytrace=False,
        )
    if seed is None:
        state = metafunc.config.stash.get(STATE_KEY, None)
        seed = derive_seed(state.seed if state else 0, where, "prodreal_traffic")
    try:
        records = load_traffic(
            path,
            field=field,
            sample=kwargs.get("sample"),
            seed=seed,
            scrub=kwargs.get("scrub", False),
        )
    except InvalidArgument as exc:
        pytest.fail(f"{where}: prodreal_traffic: {exc}", pytrace=False)
    except OSError as exc:
        pytest.fail(
            f"{where}: prodreal_traffic: cannot read {str(path)!r} ({exc.strerror}); pass the "
            "path of a readable JSONL or CSV file",
            pytrace=False,
        )
    if not records:
        pytest.fail(f"{where}: prodreal_traffic: {path} holds no rows", pytrace=False)
    marks = _declare(metafunc, "shadow_traffic")
    metafunc.parametrize(argname, [pytest.param(r.value, id=r.id, marks=marks) for r in records])


def _declare(metafunc: pytest.Metafunc, remedy: str) -> tuple[pytest.MarkDecorator, ...]:
    """``prodreal(remedy)``, so the marker declares its remedy (when the taxonomy has it).

    A test that carries the marker but exercises nothing then reads "declared only".
    """
    state = metafunc.config.stash.get(STATE_KEY, None)
    if state is None or not state.taxonomy.is_remedy(remedy):
        return ()
    return (pytest.mark.prodreal(remedy),)


# --- one seed: Hypothesis tests follow --prodreal-seed ---------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With an explicit ``--prodreal-seed``, seed each ``@given`` test from it and its node id.

    The same as Hypothesis's ``@seed(...)`` per test (Hypothesis reads the attribute it sets),
    so one printed run seed replays the same generated examples, in any order and under xdist.
    Left alone: runs without ``--prodreal-seed`` (Hypothesis's own randomness, as without the
    plugin), tests with their own ``@seed``, and runs given ``--hypothesis-seed``.
    """
    state = config.stash.get(STATE_KEY, None)
    settings = state.settings if state else None
    if settings is None or settings.seed is None:
        return  # the usual run: not a single attribute lookup per test
    try:
        if config.getoption("hypothesis_seed", None) is not None:
            return  # Hypothesis's own run seed wins, as the user asked for it
    except ValueError:
        pass
    for item in items:
        obj = getattr(item, "obj", None)
        if getattr(obj, "hypothesis", None) is None:
            continue
        function: Any = getattr(obj, "__func__", obj)
        own_seed = getattr(function, "_hypothesis_internal_use_seed", None) is not None
        if own_seed and not getattr(function, "_prodreal_seeded", False):
            continue  # the user's own @seed(...)
        base = item.nodeid.partition("[")[0]  # one seed per function: parameters share it
        function._hypothesis_internal_use_seed = derive_seed(settings.seed, base, "hypothesis")
        function._prodreal_seeded = True


# --- failure corpus ---------------------------------------------------------------------------


def _check_corpus_marker(metafunc: pytest.Metafunc, marker: pytest.Mark) -> None:
    """Fail collection for a misused ``prodreal_corpus`` marker, naming the test and the fix."""
    where = metafunc.definition.nodeid
    if marker.args or set(marker.kwargs) - {"name"}:
        pytest.fail(
            f"{where}: prodreal_corpus takes only name= (a file name for the corpus), got "
            f"args {marker.args!r} and keywords {sorted(marker.kwargs)}",
            pytrace=False,
        )
    name = marker.kwargs.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        pytest.fail(
            f"{where}: prodreal_corpus name= must be a non-empty str, got {name!r}", pytrace=False
        )
    if getattr(metafunc.function, "hypothesis", None) is None and not (
        {"prodreal_corpus", "failure_corpus"} & set(metafunc.fixturenames)
    ):
        pytest.fail(
            f"{where}: @pytest.mark.prodreal_corpus needs a Hypothesis @given test (or a test "
            "that uses the prodreal_corpus fixture to replay and save by hand)",
            pytrace=False,
        )
    function = getattr(metafunc.function, "__func__", metafunc.function)
    already = any(
        m.name == "prodreal" and "failure_corpus" in m.args
        for m in getattr(function, "pytestmark", ())
    )
    for mark in () if already else _declare(metafunc, "failure_corpus"):
        mark(function)  # stored on the function: every item made from it declares the remedy


def validate_corpus_marker(item: pytest.Item, marker: pytest.Mark) -> None:
    """Check a ``prodreal_corpus`` mark on the final item and declare ``failure_corpus``.

    A mark added by a ``pytest_collection_modifyitems`` hook arrives after tests were generated,
    so this is where it is validated and declared, as a direct mark already was (a failing test
    carrying it then counts against ``failure_corpus``).
    """
    where = item.nodeid
    problem = None
    if marker.args or set(marker.kwargs) - {"name"}:
        problem = (
            f"prodreal_corpus takes only name= (a file name for the corpus), got args "
            f"{marker.args!r} and keywords {sorted(marker.kwargs)}"
        )
    else:
        name = marker.kwargs.get("name")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            problem = f"prodreal_corpus name= must be a non-empty str, got {name!r}"
    function = getattr(item, "obj", None)
    fixtures = set(getattr(item, "fixturenames", ()))
    given = getattr(function, "hypothesis", None) is not None
    if problem is None and not given and not {"prodreal_corpus", "failure_corpus"} & fixtures:
        problem = (
            "@pytest.mark.prodreal_corpus needs a Hypothesis @given test (or a test that "
            "uses the prodreal_corpus fixture to replay and save by hand)"
        )
    if problem is not None:
        raise pytest.Collector.CollectError(f"{where}: {problem}")
    from .session import STATE_KEY

    state = item.config.stash.get(STATE_KEY, None)
    declared = any("failure_corpus" in m.args for m in item.iter_markers("prodreal"))
    if state is not None and state.taxonomy.is_remedy("failure_corpus") and not declared:
        item.add_marker(pytest.mark.prodreal("failure_corpus"))


def _run_id(config: pytest.Config) -> str:
    """This run's id: xdist's ``testrunuid`` on a worker, else one made for the session."""
    run = config.stash.get(_RUN_ID_KEY, None)
    if run is None:
        workerinput = getattr(config, "workerinput", None)
        run = str(workerinput.get("testrunuid", "")) if workerinput else ""
        if not run:
            import uuid

            run = uuid.uuid4().hex
        config.stash[_RUN_ID_KEY] = run
    return run


_CLEANED: set[str] = set()


def _clean_once(directory: Path) -> None:
    """Remove what a killed writer left in ``directory``, once per process (issue 10).

    Under the directory's lock: every live writer holds it while its temporary file exists, so a
    temporary file seen under the lock belongs to a writer that died. A run that saves nothing
    cleans up too.
    """
    from ..inputs.failure_corpus import _locked, remove_stale_temporaries

    key = str(directory)
    if key in _CLEANED or not directory.is_dir():
        return
    _CLEANED.add(key)
    with _locked(directory):
        remove_stale_temporaries(directory)


def _corpus_for(item: pytest.Item, name: str | None) -> TestCorpus:
    from ..inputs.failure_corpus import FailureCorpus, TestCorpus, corpus_file_for

    settings = get_state(item.config).settings or Settings()
    path = corpus_file_for(settings.corpus_dir, item.nodeid, name)
    if settings.corpus_mode == "record":
        _clean_once(path.parent)
    return TestCorpus(
        FailureCorpus(path),
        settings.corpus_mode,
        _run_id(item.config),
    )


@pytest.fixture
def prodreal_corpus(request: pytest.FixtureRequest) -> Generator[TestCorpus, None, None]:
    """This test's failure corpus file, under ``--prodreal-corpus-dir``.

    Replay ``prodreal_corpus.entries`` first (replaying at least one records ``failure_corpus``
    evidence), and ``prodreal_corpus.save({...})`` an input that failed. For ``@given`` tests use
    ``@pytest.mark.prodreal_corpus`` instead, which does both for you.
    """
    marker = request.node.get_closest_marker("prodreal_corpus")
    name = marker.kwargs.get("name") if marker else None
    corpus = _corpus_for(request.node, name)
    yield corpus
    corpus.close()  # fsync what the test saved


@pytest.fixture
def failure_corpus(request: pytest.FixtureRequest) -> Generator[TestCorpus, None, None]:
    """Deprecated old name of the ``prodreal_corpus`` fixture (removed in the next release)."""
    import warnings

    warnings.warn(
        "the failure_corpus fixture is deprecated; use prodreal_corpus (same object)",
        DeprecationWarning,
        stacklevel=2,
    )
    marker = request.node.get_closest_marker("prodreal_corpus")
    name = marker.kwargs.get("name") if marker else None
    corpus = _corpus_for(request.node, name)
    yield corpus
    corpus.close()


class InputsHooks:
    """The per-test hook of the ``prodreal_traffic`` and ``prodreal_corpus`` markers."""

    @pytest.hookimpl(wrapper=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> Generator[None, object, object]:
        """Replay and record ``prodreal_corpus`` tests' corpus; judge traffic replays."""
        __tracebackhide__ = True  # the user sees their own frames, not the glue
        traffic = pyfuncitem.get_closest_marker("prodreal_traffic")
        corpus_marker = pyfuncitem.get_closest_marker("prodreal_corpus")
        if traffic is None and corpus_marker is None:
            return (yield)
        if corpus_marker is None:
            outcome = yield
        else:
            outcome = yield from _with_corpus(pyfuncitem, corpus_marker.kwargs.get("name"))
        if traffic is not None:  # reached only when the test body passed
            _traffic_evidence(pyfuncitem, traffic)
        return outcome


def _traffic_argname(marker: pytest.Mark) -> str:
    field = marker.kwargs.get("field")
    argname = marker.kwargs.get("argname") or (
        field if isinstance(field, str) and field.isidentifier() else "record"
    )
    return str(argname)


def _traffic_evidence(item: pytest.Function, marker: pytest.Mark) -> None:
    """Record ``shadow_traffic`` when the passing body read the input and checked something."""
    from .._kit import record_if_in_test
    from ..inputs._body import body_facts

    argname = _traffic_argname(marker)
    facts = body_facts(item.obj)
    if not (facts.checks and facts.reads(argname)):
        return  # the marker declared shadow_traffic; nothing was exercised, so nothing counts
    record_if_in_test(
        "shadow_traffic",
        held=True,
        check="prodreal_traffic",
        summary=f"replayed recorded input {item.name} through a test that checks it",
        figures={"recorded_inputs": 1},
    )


def _with_corpus(item: pytest.Function, name: str | None) -> Generator[None, object, object]:
    __tracebackhide__ = True
    from .._kit import record_if_in_test
    from ..inputs._body import body_facts
    from ..inputs.failure_corpus import CorpusError

    hypothesis_handle = getattr(item.obj, "hypothesis", None)
    if hypothesis_handle is None:  # a prodreal_corpus fixture test (checked at collection)
        return (yield)
    corpus = _corpus_for(item, name)
    if corpus.mode == "off":
        return (yield)
    try:
        entries = corpus.load()  # saved by earlier runs: this run's own saves are not replayed
    except CorpusError as exc:
        record_if_in_test("failure_corpus", held=False, check="prodreal_corpus", summary=str(exc))
        pytest.fail(str(exc), pytrace=False)
    inner: Callable[..., Any] = hypothesis_handle.inner_test
    params = inspect.signature(inner).parameters
    # A test method gets its instance first, as Hypothesis passes it.
    bound = () if getattr(item, "instance", None) is None else (item.instance,)
    fixtures = {k: v for k, v in item.funcargs.items() if k in params}
    # Replay first: a failure found once stays a regression case, even after it is fixed.
    for entry in entries:
        try:
            inner(*bound, **fixtures, **entry.arguments)
        except Exception as exc:
            record_if_in_test(
                "failure_corpus",
                held=False,
                check="prodreal_corpus",
                summary=f"saved failing example {entry.path}:{entry.line} fails again",
                figures={"replayed": len(entries)},
            )
            raise AssertionError(
                f"failure corpus regression: the example saved at {entry.path}:{entry.line} "
                f"fails again: {entry.arguments!r:.300}\n{type(exc).__name__}: {exc}\n"
                f"Fix the bug this example found; it stays in {entry.path} and is replayed "
                "first on every run until it passes."
            ) from exc
    captured: list[dict[str, Any]] = []
    examples = [0]

    @functools.wraps(inner)  # Hypothesis prints the failing call under this function's name
    def capturing(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True  # the user sees their own frames, not the glue
        examples[0] += 1
        try:
            return inner(*args, **kwargs)
        except BaseException:
            from hypothesis.control import current_build_context

            if current_build_context().is_final:  # the shrunk example Hypothesis reports
                captured.append(
                    {k: v for k, v in kwargs.items() if k not in fixtures and k != "self"}
                )
            raise

    hypothesis_handle.inner_test = capturing
    failed = True  # until the body returns: an exception skips the assignment below
    try:
        outcome = yield
        failed = False
    finally:
        hypothesis_handle.inner_test = inner
        saved = 0
        for arguments in captured:
            try:
                saved += corpus.save(arguments)
            except (TypeError, ValueError) as exc:  # InvalidArgument: not JSON data
                import warnings

                from ..errors import ProdrealWarning

                warnings.warn(
                    f"{item.nodeid}: not saved to the failure corpus: {exc}",
                    ProdrealWarning,
                    stacklevel=1,
                )
        corpus.close()
        checked = examples[0] if body_facts(inner).checks else 0
        # Evidence counts what was exercised: examples replayed or saved, or Hypothesis
        # examples run through a body that checks something. Zero of all: declared only.
        # A test that failed (a new failing example, saved or not) did not hold, on this run as
        # on the next one, which replays the example and fails as a regression.
        if entries or saved or checked:
            record_if_in_test(
                "failure_corpus",
                held=not failed,
                check="prodreal_corpus",
                summary=_corpus_summary(len(entries), checked, saved, failed=failed),
                figures={
                    "replayed": len(entries),
                    "examples": checked,
                    "saved": saved,
                    "mode": corpus.mode,
                },
            )
    return outcome


def _corpus_summary(replayed: int, checked: int, saved: int, *, failed: bool = False) -> str:
    """What the corpus exercised, the non-zero counts first (a zero alone never gets here)."""
    if failed:
        found = (
            f"found {saved} new failing example(s), saved to the corpus and replayed first "
            "from now on: fix what they found"
            if saved
            else "the test failed"
        )
        return f"{found}; replayed {replayed} saved failing example(s) first"
    parts = [
        (replayed, f"replayed {replayed} saved failing example(s) first"),
        (checked, f"ran {checked} Hypothesis example(s) through a body that checks them"),
        (saved, f"saved {saved} new failing example(s)"),
    ]
    return "; ".join(text for count, text in sorted(parts, key=lambda p: p[0] == 0))


#: The inputs part: markers validated in ``pytest_generate_tests`` (they parametrize); the
#: per-test hooks are registered only when a collected test carries one of them.
PART = Part(
    name="inputs",
    fixtures=frozenset({"prodreal_corpus", "failure_corpus"}),
    markers=(
        MarkerSpec("prodreal_corpus", _CORPUS_MARKER, validate_corpus_marker),
        MarkerSpec("prodreal_traffic", _TRAFFIC_MARKER),
    ),
    per_test=InputsHooks,
)
