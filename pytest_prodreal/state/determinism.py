"""``determinism`` for outgoing LLM requests: temperature 0, a seed, the same prompt per input.

Repeated outcomes (:meth:`Outcomes.assert_deterministic`) show what came back; this check shows
what was *sent*. A service that asks the model with the provider's default temperature, or builds
its prompt from something that varies (a timestamp, a dict's order, a random example), cannot
answer the same question the same way twice, however its own code is written.

The check takes any iterable of requests, so it does not depend on how they were captured:
``chaos`` routes' ``.calls`` (or respx's), ``httpx``/``httpx2`` ``Request`` objects, raw JSON
bytes or text, or plain dicts holding the JSON body.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._kit import CheckResult, conclude
from ..errors import InvalidArgument
from ._judge import DeterminismResult

if TYPE_CHECKING:
    from .runner import Mode

__all__ = [
    "DeterminismResult",
    "LLMRequestCheck",
    "check_determinism",
    "check_llm_requests_deterministic",
]

# Where providers put temperature and seed: OpenAI/Anthropic/Mistral (top level), Gemini
# (generationConfig), Ollama (options), Hugging Face TGI (parameters).
_NESTS: tuple[tuple[str, ...], ...] = (
    (),
    ("generationConfig",),
    ("generation_config",),
    ("options",),
    ("parameters",),
)
_PROMPT_KEYS = ("messages", "prompt", "input", "contents", "inputs")

#: Body fields that legitimately differ between identical requests.
DEFAULT_IGNORED = ("user", "metadata", "stream_options", "request_id")


def _lookup(body: Mapping[str, object], name: str) -> tuple[bool, object]:
    for nest in _NESTS:
        node: object = body
        for key in nest:
            node = node.get(key) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping) and name in node:
            return True, node[name]
    return False, None


def _where(item: object) -> str:
    request = getattr(item, "request", item)
    method = getattr(request, "method", None)
    url = getattr(request, "url", None)
    return f"{method} {url}" if method and url else type(item).__name__


def _body(item: object) -> object:
    """The JSON body of one captured request (``None`` when it has no JSON body)."""
    if isinstance(item, Mapping):
        return item
    request = getattr(item, "request", None)
    if request is not None and not isinstance(item, (str, bytes)):
        item = request
    raw: object = item
    if not isinstance(item, (str, bytes, bytearray)):
        raw = getattr(item, "content", None)
        if raw is None:
            reader = getattr(item, "read", None)
            raw = reader() if callable(reader) else None
    if isinstance(raw, (bytes, bytearray)):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return None
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _default_is_llm(body: Mapping[str, object]) -> bool:
    return "model" in body or any(key in body for key in _PROMPT_KEYS)


def _first_difference(a: object, b: object, path: str = "") -> str:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                return f"{path}.{key}" if path else str(key)
            if a[key] != b[key]:
                return _first_difference(a[key], b[key], f"{path}.{key}" if path else str(key))
        return path or "(body)"
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return path or "(body)"


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


@dataclass(frozen=True)
class LLMRequestCheck(CheckResult):
    """What :func:`check_llm_requests_deterministic` found.

    ``held``: every request was on the deterministic path (``problems`` is empty);
    ``distinct_prompts`` counts, per input group, the distinct request bodies (ignoring
    ``ignore_fields``); 1 everywhere is deterministic.
    """

    requests: int = 0
    ignored: int = 0
    groups: int = 0
    distinct_prompts: Mapping[str, int] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


def check_llm_requests_deterministic(
    requests: Iterable[object],
    *,
    require_temperature_zero: bool = True,
    require_seed: bool = True,
    same_prompt: bool = True,
    group_by: Callable[[Mapping[str, object]], Hashable] | None = None,
    ignore_fields: Sequence[str] = DEFAULT_IGNORED,
    is_llm_request: Callable[[Mapping[str, object]], bool] | None = None,
) -> LLMRequestCheck:
    """Check that outgoing LLM requests are on the deterministic path; record the evidence.

    For each captured request whose JSON body looks like an LLM call (``is_llm_request``;
    default: it has a ``model`` or a prompt field), checks that:

    - ``temperature`` is 0 (``require_temperature_zero``) — an unset temperature is the
      provider's default, usually 1;
    - a ``seed`` is set, and the same seed everywhere (``require_seed``; pass ``False`` for
      providers without one, such as Anthropic's Messages API);
    - within each input group (``group_by(body)``; default: all requests are one input, the
      usual "same question N times"), every body is the same apart from ``ignore_fields``
      (``same_prompt``).

    Temperature and seed are also found where Gemini (``generationConfig``), Ollama
    (``options``) and TGI (``parameters``) put them. Requests without a JSON body, or not
    LLM-shaped, are skipped and counted as ``ignored``; seeing no LLM request at all fails (a
    check that saw nothing proves nothing).

    Returns an :class:`LLMRequestCheck`; raises ``AssertionError`` listing every problem.
    """
    __tracebackhide__ = True
    if isinstance(requests, (str, bytes, Mapping)) or not isinstance(requests, Iterable):
        raise InvalidArgument(
            "requests must be an iterable of captured requests (route.calls, httpx Requests, "
            f"JSON dicts), got {type(requests).__name__}; wrap a single request in a list"
        )
    if group_by is not None and not callable(group_by):
        raise InvalidArgument(f"group_by must be a callable taking a JSON body, got {group_by!r}")
    is_llm = is_llm_request or _default_is_llm
    ignore = set(ignore_fields)
    problems: list[str] = []
    bodies: list[tuple[str, Mapping[str, object]]] = []
    ignored = 0
    for item in requests:
        body = _body(item)
        if not isinstance(body, Mapping) or not is_llm(body):
            ignored += 1
            continue
        bodies.append((_where(item), body))
    if not bodies:
        problems.append(
            f"no LLM request was seen ({ignored} other requests): nothing to check; make sure the "
            "code under test sent its requests through the routes you passed"
        )
    seeds: dict[str, list[int]] = {}
    for n, (where, body) in enumerate(bodies):
        if require_temperature_zero:
            found, temperature = _lookup(body, "temperature")
            if not found:
                problems.append(
                    f"request {n} ({where}): temperature is not set (the provider default, "
                    "usually 1, samples); send temperature=0"
                )
            elif temperature != 0 or isinstance(temperature, bool):
                problems.append(f"request {n} ({where}): temperature is {temperature!r}, not 0")
        if require_seed:
            found, seed = _lookup(body, "seed")
            if not found or seed is None:
                problems.append(
                    f"request {n} ({where}): no seed is set; send a fixed seed (or pass "
                    "require_seed=False for a provider without one)"
                )
            else:
                seeds.setdefault(_canonical(seed), []).append(n)
    if len(seeds) > 1:
        listing = "; ".join(f"seed {s} in requests {ns[:5]}" for s, ns in seeds.items())
        problems.append(f"requests use {len(seeds)} different seeds: {listing}")

    groups: dict[str, list[tuple[int, Mapping[str, object]]]] = {}
    for n, (_, body) in enumerate(bodies):
        # Group by the whole key: two long prompts may share their first 80 characters.
        key = "all requests" if group_by is None else f"input {group_by(body)!r}"
        groups.setdefault(key, []).append((n, {k: v for k, v in body.items() if k not in ignore}))
    distinct: dict[str, int] = {}
    for key, members in groups.items():
        variants: dict[str, list[int]] = {}
        first_of: dict[str, Mapping[str, object]] = {}
        for n, body in members:
            text = _canonical(body)
            variants.setdefault(text, []).append(n)
            first_of.setdefault(text, body)
        distinct[key] = len(variants)
        if same_prompt and len(variants) > 1:
            texts = sorted(variants, key=lambda t: -len(variants[t]))
            lines = []
            for i, t in enumerate(texts):
                line = f"{len(variants[t])}x requests {variants[t][:6]}: {t[:200]}"
                if i:
                    where = _first_difference(first_of[texts[0]], first_of[t])
                    line += f"  (first difference at {where})"
                lines.append(line)
            problems.append(
                f"{_short(key)}: {len(variants)} different request bodies for the same input:\n    "
                + "\n    ".join(lines)
            )
    figures: dict[str, bool | int | float | str | None] = {
        "requests": len(bodies),
        "ignored": ignored,
        "input_groups": len(groups),
        "max_distinct_prompts": max(distinct.values(), default=0),
        "problems": len(problems),
    }
    held = not problems
    summary = f"{len(bodies)} LLM requests: " + (
        "temperature 0, seeded, one prompt per input" if held else problems[0][:200]
    )
    # Seeing no LLM request is a problem above (a failure), so a holding check always saw some.
    counted = conclude(
        "determinism",
        "llm_requests",
        held=held,
        exercised=len(bodies),
        what="LLM requests",
        summary=summary,
        figures=figures,
        explanation="outgoing LLM requests are not deterministic:\n  - " + "\n  - ".join(problems),
    )
    return LLMRequestCheck(
        held=held,
        counted=counted,
        summary=summary,
        figures=figures,
        requests=len(bodies),
        ignored=ignored,
        groups=len(groups),
        distinct_prompts=distinct,
        problems=tuple(problems),
    )


def _short(text: str) -> str:
    return text if len(text) <= 86 else text[:85] + "…"


def check_determinism(
    fn: Callable[..., Any],
    times: int = 8,
    *,
    mode: Mode = "threads",
    concurrency: int | None = None,
    timeout: float = 30.0,
    normalize: Callable[[object], object] | None = None,
    allow_errors: bool = False,
    seed: int | None = None,
    args: Sequence[object] = (),
    kwargs: Mapping[str, object] | None = None,
) -> DeterminismResult:
    """Run ``fn`` ``times`` times (concurrently by default) and check every run ended the same.

    The check form of ``repeat(...).assert_deterministic()``: returns a
    :class:`DeterminismResult` (``value`` is the common value) and raises ``AssertionError``
    leading with the distinct outcomes when runs disagree, hang or (unless ``allow_errors``)
    raise. On the virtual clock the runs interleave at their waits (see
    :class:`~pytest_prodreal.clock.Scheduler`); concurrent runs that never overlapped record no
    evidence and warn. Arguments are those of :func:`~pytest_prodreal.state.repeat`.
    """
    __tracebackhide__ = True
    from ._judge import judge
    from .runner import repeat

    outcomes = repeat(
        fn,
        times,
        mode=mode,
        concurrency=concurrency,
        timeout=timeout,
        args=args,
        kwargs=kwargs,
        label="check_determinism",
        seed=seed,
    )
    return judge(outcomes, normalize, allow_errors, "check_determinism")
