"""pytest glue for the ``inputs`` category: failure corpus and shadow traffic.

- ``@pytest.mark.prodreal_corpus`` on a Hypothesis ``@given`` test replays the test's saved failing
  examples first, then runs Hypothesis, and saves the examples Hypothesis reports as failing.
- The ``failure_corpus`` fixture gives any test its corpus file to replay and save by hand.
- ``@pytest.mark.prodreal_traffic(path, field=...)`` parametrizes a test with recorded inputs.

Importing this module imports neither Hypothesis nor Faker; per-test hooks return at once for
tests without these markers.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Generator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..seeding import derive_seed
from .part import MarkerSpec, Part
from .session import STATE_KEY, get_state
from .settings import Settings

if TYPE_CHECKING:
    from ..inputs.failure_corpus import CorpusEntry, FailureCorpus

__all__ = ["TestCorpus", "failure_corpus"]

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
    if argname not in metafunc.fixturenames:
        pytest.fail(
            f"{where}: prodreal_traffic parametrizes the argument {argname!r}, which the test "
            f"does not take; add it to the test's signature or pass argname=",
            pytrace=False,
        )
    path = Path(marker.args[0])
    if not path.is_absolute():
        path = Path(metafunc.definition.path).parent / path
    seed = kwargs.get("seed")
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
    if not records:
        pytest.fail(f"{where}: prodreal_traffic: {path} holds no rows", pytrace=False)
    metafunc.parametrize(argname, [r.value for r in records], ids=[r.id for r in records])


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
    if getattr(metafunc.function, "hypothesis", None) is None and (
        "failure_corpus" not in metafunc.fixturenames
    ):
        pytest.fail(
            f"{where}: @pytest.mark.prodreal_corpus needs a Hypothesis @given test (or a test "
            "that uses the failure_corpus fixture to replay and save by hand)",
            pytrace=False,
        )


class TestCorpus:
    """The failure corpus of one test: its saved entries, and a way to save more."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, corpus: FailureCorpus, mode: str) -> None:
        self._corpus = corpus
        self.mode = mode

    @property
    def path(self) -> Path:
        """The corpus file (it may not exist yet)."""
        return self._corpus.path

    @property
    def entries(self) -> list[CorpusEntry]:
        """The saved entries, in file order (raises ``CorpusError`` naming a corrupt line).

        Reading them records ``failure_corpus`` evidence: the test replays its corpus.
        """
        from ..evidence import _record_if_in_test
        from ..inputs.failure_corpus import CorpusError

        try:
            found = [] if self.mode == "off" else self._corpus.entries()
        except CorpusError as exc:
            _record_if_in_test(
                "failure_corpus", held=False, check="failure_corpus", summary=str(exc)
            )
            raise
        _record_if_in_test(
            "failure_corpus",
            held=self.mode != "off",
            check="failure_corpus",
            summary=f"replayed {len(found)} saved failing input(s) from {self.path.name}",
            figures={"replayed": len(found), "mode": self.mode},
        )
        return found

    def save(self, arguments: Mapping[str, Any]) -> bool:
        """Save one failing input (a mapping of argument names to JSON values).

        Returns whether it was new; does nothing in ``replay`` and ``off`` modes.
        """
        if self.mode != "record":
            return False
        return self._corpus.add([arguments]) > 0


def _corpus_for(item: pytest.Item, name: str | None) -> TestCorpus:
    from ..inputs.failure_corpus import FailureCorpus, corpus_file_for

    settings = get_state(item.config).settings or Settings()
    return TestCorpus(
        FailureCorpus(corpus_file_for(settings.corpus_dir, item.nodeid, name)),
        settings.corpus_mode,
    )


@pytest.fixture
def failure_corpus(request: pytest.FixtureRequest) -> TestCorpus:
    """This test's failure corpus file, under ``--prodreal-corpus-dir``.

    Replay ``failure_corpus.entries`` first (reading them records ``failure_corpus`` evidence),
    and ``failure_corpus.save({...})`` an input that failed. For ``@given`` tests use
    ``@pytest.mark.prodreal_corpus`` instead, which does both for you.
    """
    marker = request.node.get_closest_marker("prodreal_corpus")
    name = marker.kwargs.get("name") if marker else None
    return _corpus_for(request.node, name)


class InputsHooks:
    """The per-test hook of the ``prodreal_traffic`` and ``prodreal_corpus`` markers."""

    @pytest.hookimpl(wrapper=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> Generator[None, object, object]:
        """Replay and record ``prodreal_corpus`` tests' corpus; note traffic replays."""
        traffic = pyfuncitem.get_closest_marker("prodreal_traffic")
        corpus_marker = pyfuncitem.get_closest_marker("prodreal_corpus")
        if traffic is None and corpus_marker is None:
            return (yield)
        from ..evidence import _record_if_in_test

        if traffic is not None:
            _record_if_in_test(
                "shadow_traffic",
                held=True,
                check="prodreal_traffic",
                summary=f"replayed recorded input {pyfuncitem.name}",
                figures={"recorded_inputs": 1},
            )
        if corpus_marker is None:
            return (yield)
        return (yield from _with_corpus(pyfuncitem, corpus_marker.kwargs.get("name")))


def _with_corpus(item: pytest.Function, name: str | None) -> Generator[None, object, object]:
    from ..evidence import _record_if_in_test
    from ..inputs.failure_corpus import CorpusError

    hypothesis_handle = getattr(item.obj, "hypothesis", None)
    if hypothesis_handle is None:  # a failure_corpus fixture test (checked at collection)
        return (yield)
    corpus = _corpus_for(item, name)
    if corpus.mode == "off":
        return (yield)
    try:
        entries = corpus._corpus.entries()
    except CorpusError as exc:
        _record_if_in_test("failure_corpus", held=False, check="prodreal_corpus", summary=str(exc))
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
            _record_if_in_test(
                "failure_corpus",
                held=False,
                check="prodreal_corpus",
                summary=f"saved failing example {entry.path}:{entry.line} fails again",
                figures={"replayed": len(entries)},
            )
            raise AssertionError(
                f"failure corpus regression: the example saved at {entry.path}:{entry.line} "
                f"fails again: {entry.arguments!r:.300}\n{type(exc).__name__}: {exc}"
            ) from exc
    captured: list[dict[str, Any]] = []

    @functools.wraps(inner)  # Hypothesis prints the failing call under this function's name
    def capturing(*args: Any, **kwargs: Any) -> Any:
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
    try:
        outcome = yield
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
        _record_if_in_test(
            "failure_corpus",
            held=True,
            check="prodreal_corpus",
            summary=f"replayed {len(entries)} saved failing example(s) first; saved {saved} new",
            figures={"replayed": len(entries), "saved": saved, "mode": corpus.mode},
        )
    return outcome


#: The inputs part: markers validated in ``pytest_generate_tests`` (they parametrize); the
#: per-test hooks are registered only when a collected test carries one of them.
PART = Part(
    name="inputs",
    markers=(
        MarkerSpec("prodreal_corpus", _CORPUS_MARKER),
        MarkerSpec("prodreal_traffic", _TRAFFIC_MARKER),
    ),
    per_test=InputsHooks,
)
