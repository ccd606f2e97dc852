"""The production service: the same product as the demo, hardened by what the checks found.

Search with a timeout, retries with back-off and a circuit breaker; the LLM through the official
openai SDK with a timeout and our own logged retries; a TTL cache keyed by the normalised
question, filled under a per-key lock (no stampede), never storing fallbacks; a fallback answer
instead of an error; guardrails (injection screening, PII scrubbed from logs, prompts and
answers, the system prompt never echoed); abstention when retrieval finds nothing; answers that
cite their sources; greedy decoding with a seed; idempotent feedback; a WARNING log line for
every fault it handles, so operators hear about it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import httpx

from .common import FEEDBACK_URL, MODEL, SEARCH_URL, SYSTEM_SECRET, Answer, normalise_question
from .guard import looks_like_injection, scrub

log = logging.getLogger("ragsvc.production")

FALLBACK_TEXT = "Sorry, I can't answer right now. Please try again shortly."
ABSTAIN_TEXT = "I don't know: the sources I have do not cover this."
REFUSAL_TEXT = "I can't help with that request."
SYSTEM_PROMPT = (
    "Answer only from the sources. Quote the passage you rely on and cite it as [id]. "
    "If the sources do not contain the answer, reply NO_ANSWER. " + SYSTEM_SECRET
)


class TTLCache:
    """A TTL cache on ``time.monotonic`` (so a virtual clock moves it), one lock per key."""

    def __init__(self, ttl: float = 300.0) -> None:
        self.ttl = ttl
        self._data: dict[str, tuple[float, Answer]] = {}
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def lock_for(self, key: str) -> threading.Lock:
        """One lock per key: concurrent misses for a key wait for the first to fill it."""
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    def get(self, key: str) -> Answer | None:
        """The live entry for ``key``, if any."""
        with self._lock:
            hit = self._data.get(key)
            if hit is None or time.monotonic() - hit[0] >= self.ttl:
                self._data.pop(key, None)
                return None
            return hit[1]

    def put(self, key: str, value: Answer) -> None:
        """Store ``value`` under ``key`` from now."""
        with self._lock:
            self._data[key] = (time.monotonic(), value)


class Breaker:
    """Opens after ``threshold`` consecutive failures; one probe after ``cooldown`` seconds."""

    def __init__(self, threshold: int = 3, cooldown: float = 30.0) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.failures = 0
        self.opened_at: float | None = None
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """Whether a call may go through (closed, or the cool-down has passed)."""
        with self._lock:
            return self.opened_at is None or time.monotonic() - self.opened_at >= self.cooldown

    def record(self, ok: bool) -> None:
        """Count a success (closes) or a failure (may open)."""
        with self._lock:
            if ok:
                self.failures, self.opened_at = 0, None
            else:
                self.failures += 1
                if self.failures >= self.threshold:
                    self.opened_at = time.monotonic()


class SearchClient:
    """The search API with a 2 s timeout and four attempts with exponential back-off."""

    attempts = 4

    def __init__(self, timeout: float = 2.0) -> None:
        self.http = httpx.Client(base_url=SEARCH_URL, timeout=timeout)

    def search(self, query: str) -> list[dict[str, Any]]:
        """Top hits for ``query``; raises after ``attempts`` failed attempts."""
        delay = 0.2
        for attempt in range(self.attempts):
            try:
                resp = self.http.get("/v1/search", params={"q": query, "k": 3})
                resp.raise_for_status()
                hits = resp.json()["hits"]
                if not hits:
                    log.warning("search returned 0 hits")
                return list(hits)
            except (httpx.TransportError, httpx.HTTPStatusError, KeyError, ValueError) as exc:
                log.warning("search attempt %d failed: %s", attempt + 1, type(exc).__name__)
                if attempt == self.attempts - 1:
                    raise
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")


class ProductionService:
    """Answer a question from retrieved passages: cached, guarded, cited, degradable."""

    name = "production"
    llm_attempts = 3

    def __init__(self, llm: Any, model: str = MODEL, cache: TTLCache | None = None) -> None:
        # The SDK's own retries are silent; ours log each attempt (llm built with max_retries=0).
        self.llm = llm
        self.model = model
        self.search = SearchClient()
        self.cache = cache or TTLCache()
        self.breaker = Breaker()
        self.feedback_http = httpx.Client(base_url=FEEDBACK_URL, timeout=2.0)

    def answer(self, question: str) -> Answer:
        """Answer ``question``: refused, abstained, cached, answered, or a fallback."""
        key = normalise_question(question)
        if not key:
            return Answer("Please ask a question.", abstained=True)
        if looks_like_injection(key):
            log.warning("refused a question that looks like a prompt injection")
            return Answer(REFUSAL_TEXT, refused=True)
        key = scrub(key)  # no PII in the cache, the logs, the search API or the prompt
        with self.cache.lock_for(key):
            cached = self.cache.get(key)
            if cached is not None:
                return cached
            answer = self._answer(key)
            if not (answer.fallback or answer.refused):
                self.cache.put(key, answer)
            return answer

    def _answer(self, key: str) -> Answer:
        if not self.breaker.allow():
            log.warning("search breaker open: serving the fallback")
            return Answer(FALLBACK_TEXT, fallback=True)
        try:
            hits = self.search.search(key)
            self.breaker.record(True)
        except Exception as exc:
            self.breaker.record(False)
            log.warning("search failed, serving the fallback: %s", type(exc).__name__)
            return Answer(FALLBACK_TEXT, fallback=True)
        if not hits:
            return Answer(ABSTAIN_TEXT, abstained=True)
        context = "\n".join(f"[{h['id']}] {scrub(h['text'])}" for h in hits)
        text = self._complete(context, key)
        if text is None:
            return Answer(FALLBACK_TEXT, fallback=True)
        if text.strip() == "NO_ANSWER":
            return Answer(ABSTAIN_TEXT, abstained=True)
        if SYSTEM_SECRET in text:
            log.warning("the model echoed its instructions: answer withheld")
            return Answer(REFUSAL_TEXT, refused=True)
        return Answer(scrub(text), sources=[str(h["id"]) for h in hits])

    def _complete(self, context: str, key: str) -> str | None:
        delay = 0.5
        for attempt in range(self.llm_attempts):
            try:
                completion = self.llm.chat.completions.create(
                    model=self.model,
                    temperature=0,
                    seed=7,
                    messages=[
                        {"role": "system", "content": SYSTEM_PROMPT},
                        {"role": "user", "content": f"Sources:\n{context}\n\nQuestion: {key}"},
                    ],
                )
                return str(completion.choices[0].message.content or "")
            except Exception as exc:
                log.warning("llm attempt %d failed: %s", attempt + 1, type(exc).__name__)
                if attempt == self.llm_attempts - 1:
                    return None
                time.sleep(delay)
                delay *= 2
        return None

    def submit_feedback(self, answer_id: str, rating: int, key: str) -> dict[str, Any]:
        """Record a rating once per ``key``, retrying with the same key after a timeout."""
        body = {"answer_id": answer_id, "rating": rating}
        headers = {"Idempotency-Key": key}
        try:
            resp = self.feedback_http.post("/v1/feedback", json=body, headers=headers)
        except httpx.ReadTimeout:
            log.warning("feedback timed out, retrying with the same key")
            resp = self.feedback_http.post("/v1/feedback", json=body, headers=headers)
        resp.raise_for_status()
        return dict(resp.json())
