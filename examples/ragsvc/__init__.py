"""A small RAG answer service, the kind pytest-prodreal is built for.

It retrieves passages from a search API, asks an LLM (through the official ``openai`` SDK) to
answer from them with citations, caches answers, and degrades gracefully when a dependency fails.
The example suite in ``examples/`` tests it for production realism.
"""

from .service import (
    Answer,
    AnswerService,
    Breaker,
    FeedbackClient,
    SearchClient,
    TTLCache,
    normalise_question,
)

__all__ = [
    "Answer",
    "AnswerService",
    "Breaker",
    "FeedbackClient",
    "SearchClient",
    "TTLCache",
    "normalise_question",
]
