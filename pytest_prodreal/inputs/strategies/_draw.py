"""How the strategies draw: fast plans, and falsifying examples that show the value.

Two Hypothesis behaviours shape this module (Hypothesis 6.170's source, ``strategies.py`` and
``vendor/pretty.py``):

- ``strategy.map(f)`` registers the call ``f(drawn)`` as the way to *print* its result, so a
  failing ``@given`` test reported the plan, ``build(('What is ...', 10140960, []))``, instead of
  the text. :class:`Drawn` applies ``f`` without registering the call, so Hypothesis prints the
  value itself (``text='Whst is ...'``).
- Every sub-strategy draw opens a *span* (bookkeeping the shrinker and mutator use), and spans,
  not choices, dominate the cost per example: a ``tuples(just, integers, lists(integers))``
  plan cost about twice ``st.text()``. :class:`PlanStrategy` draws its choices directly (one
  integer per step, one boolean per optional step), which costs about what ``st.text()`` does.
  It still shrinks: Hypothesis deletes a (boolean, integer) pair to drop a step and lowers each
  integer toward the mildest step.

A plan's steps are reported with the falsifying example (``hypothesis.note``, on the final,
shrunk run only, so generating costs nothing extra): the clean text, the result, and each step
with the words it changed, as ``typo_substitute at 0: 'What' -> 'Whst'``.

A caveat for maintainers: subclassing ``SearchStrategy`` and calling ``ConjectureData``'s
``draw_integer`` / ``draw_boolean`` is how Hypothesis's own strategies work, not its public API
(present since the choice-sequence rewrite, Hypothesis 6.9x). ``tests/test_strategies.py`` (the
shrinking) and ``tests/test_inputs_readable.py`` (the report) pin what depends on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from hypothesis import Verbosity, note, settings
from hypothesis import strategies as st
from hypothesis.control import current_build_context
from hypothesis.errors import InvalidArgument as HypothesisInvalidArgument

from ...errors import InvalidArgument
from ..perturbations import Perturber

if TYPE_CHECKING:
    from hypothesis.internal.conjecture.data import ConjectureData

__all__ = ["Drawn", "PlanStrategy", "Rows", "note_if_final"]

T = TypeVar("T")
U = TypeVar("U")

#: The chance of one more optional step: plans are mostly short, as real noise is.
_P_MORE = 0.3


def note_if_final(make: Callable[[], str]) -> None:
    """``note(make())`` when Hypothesis will report it (the final, shrunk example, or verbose).

    ``make`` runs only then, so describing a plan costs nothing while generating.
    """
    try:
        context = current_build_context()
    except HypothesisInvalidArgument:  # drawn outside any test (a bare ``do_draw``): no report
        return
    # What ``hypothesis.note`` itself reports: the final example, or every one when verbose.
    current = settings.default
    verbose = current is not None and current.verbosity >= Verbosity.verbose
    if context.is_final or verbose:
        note(make())


class Drawn(st.SearchStrategy[U], Generic[T, U]):
    """``inner.map(fn)`` whose results Hypothesis prints as values, not as ``fn(...)`` calls."""

    def __init__(self, inner: st.SearchStrategy[T], fn: Callable[[T], U], name: str) -> None:
        super().__init__()
        self.inner, self.fn, self.name = inner, fn, name

    def __repr__(self) -> str:
        return self.name

    def do_validate(self) -> None:
        self.inner.validate()

    def do_draw(self, data: ConjectureData) -> U:
        return self.fn(data.draw(self.inner))


class Rows(st.SearchStrategy[Any]):
    """One of ``values`` (``sampled_from`` without its span): recorded rows, shrinking to the first.

    :class:`PlanStrategy` reads ``values`` directly when they are all text, so
    ``messy_text(shadow_traffic(...))`` draws the row and the plan without a sub-strategy.
    """

    def __init__(self, values: tuple[Any, ...], name: str) -> None:
        super().__init__()
        self.values, self.name = values, name

    def __repr__(self) -> str:
        return self.name

    def do_draw(self, data: ConjectureData) -> Any:
        return self.values[data.draw_integer(0, len(self.values) - 1)]


class PlanStrategy(st.SearchStrategy[str]):
    """Clean text with a plan of ``lo`` to ``hi`` perturbation steps applied.

    ``text`` is the clean text: a str (no choice drawn), a tuple of str (one integer picks one)
    or a strategy of str (drawn, and checked to be a str). Each step is one integer decoded by
    :meth:`Perturber.decode`; the optional steps are each preceded by a boolean "one more".
    """

    def __init__(
        self,
        text: str | tuple[str, ...] | st.SearchStrategy[Any],
        perturber: Perturber,
        lo: int,
        hi: int,
        func: str,
        shown: str,
    ) -> None:
        super().__init__()
        self.text, self.perturber, self.lo, self.hi = text, perturber, lo, hi
        self.func, self.shown = func, shown
        self.top = perturber.code_range - 1

    def __repr__(self) -> str:
        return self.shown

    def do_validate(self) -> None:
        if isinstance(self.text, st.SearchStrategy):
            self.text.validate()

    def _clean(self, data: ConjectureData) -> str:
        text = self.text
        if isinstance(text, str):
            return text
        if isinstance(text, tuple):
            return text[data.draw_integer(0, len(text) - 1)]
        drawn = data.draw(text)
        if not isinstance(drawn, str):
            raise InvalidArgument(
                f"{self.func}: the text strategy drew {drawn!r:.60}, a {type(drawn).__name__}; "
                "it must draw str (pick a text field, e.g. shadow_traffic(path, field=...))"
            )
        return drawn

    def do_draw(self, data: ConjectureData) -> str:
        clean = self._clean(data)
        top, decode = self.top, self.perturber.decode
        steps = [decode(data.draw_integer(0, top)) for _ in range(self.lo)]
        for _ in range(self.hi - self.lo):
            if not data.draw_boolean(_P_MORE):
                break
            steps.append(decode(data.draw_integer(0, top)))
        result = self.perturber.apply(clean, steps)
        note_if_final(lambda: self._describe(clean, steps, result))
        return result

    def _describe(self, clean: str, steps: list[Any], result: str) -> str:
        lines = self.perturber.explain(clean, steps)
        count = f"{len(steps)} step{'' if len(steps) == 1 else 's'}"
        head = f"{self.func}: {_short(clean)} -> {_short(result)} ({count})"
        return "\n".join([head, *(f"  {i}. {line}" for i, line in enumerate(lines, 1))])


def _short(text: str, limit: int = 200) -> str:
    """``repr(text)``, cut in the middle past ``limit`` characters (long text stays readable)."""
    shown = repr(text)
    if len(shown) <= limit:
        return shown
    return f"{shown[: limit // 2]}...{shown[-limit // 2 :]} ({len(text):,} characters)"
