"""The demo: it works on good inputs, once, with someone watching.

Everything a demo leaves out is left out here, on purpose: no timeouts, no retries, no breaker,
no fallback, a cache keyed by the raw question that never expires and fills without a lock, no
guardrails, a sampling temperature, no citations, no abstention, feedback without an
idempotency key, and logs that carry the user's words. The example suite shows each of these
failing a check, with the fix in the message.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx

from .common import FEEDBACK_URL, MODEL, SEARCH_URL, SYSTEM_SECRET, Answer

log = logging.getLogger("ragsvc.demo")


class DemoService:
    """Retrieval plus an LLM, as it was shown in the demo."""

    name = "demo"

    def __init__(self, llm: Any, model: str = MODEL) -> None:
        self.llm = llm
        self.model = model
        self.http = httpx.Client(base_url=SEARCH_URL, timeout=None)  # no timeout at all
        self.feedback_http = httpx.Client(base_url=FEEDBACK_URL, timeout=None)
        self.cache: dict[str, Answer] = {}

    def answer(self, question: str) -> Answer:
        """Answer ``question`` from the search API and the LLM."""
        log.info("question: %s", question)  # the user's words, PII included, in the logs
        cached = self.cache.get(question)  # raw key: "Capital?" and "capital?" are two entries
        if cached is not None:
            return cached
        resp = self.http.get("/v1/search", params={"q": question, "k": 3})
        resp.raise_for_status()
        hits = resp.json()["hits"]
        time.sleep(0.05)  # formatting the prompt (the window in which a second asker also misses)
        context = "\n".join(f"[{h['id']}] {h['text']}" for h in hits)
        completion = self.llm.chat.completions.create(
            model=self.model,
            temperature=0.7,  # sampling: the same question can get another answer
            messages=[
                {"role": "system", "content": f"You are a helpful assistant. {SYSTEM_SECRET}"},
                {"role": "user", "content": f"Sources:\n{context}\n\nQuestion: {question}"},
            ],
        )
        answer = Answer(completion.choices[0].message.content or "", [h["id"] for h in hits])
        self.cache[question] = answer  # check-then-set, no lock, no expiry
        return answer

    def submit_feedback(self, answer_id: str, rating: int, key: str) -> dict[str, Any]:
        """Post a rating (the key is ignored: nothing stops a retry from recording twice)."""
        body = {"answer_id": answer_id, "rating": rating}
        try:
            resp = self.feedback_http.post("/v1/feedback", json=body)
        except httpx.TimeoutException:
            resp = self.feedback_http.post("/v1/feedback", json=body)
        resp.raise_for_status()
        return dict(resp.json())
