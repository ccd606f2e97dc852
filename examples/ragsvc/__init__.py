"""A small RAG answer service in two versions: the demo and the one that goes to production.

Both retrieve passages from a search API (httpx), ask an LLM through the official ``openai``
SDK and return an :class:`Answer`. The example suite in ``examples/`` runs every check of
pytest-prodreal against both and gets one checklist for each.
"""

from .common import MODEL, SYSTEM_SECRET, Answer, normalise_question
from .demo import DemoService
from .production import ProductionService, TTLCache

__all__ = [
    "MODEL",
    "SYSTEM_SECRET",
    "Answer",
    "DemoService",
    "ProductionService",
    "TTLCache",
    "normalise_question",
]
