"""What both services share: the answer type, the endpoints, the question normaliser."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

SEARCH_URL = "https://search.example.test"
FEEDBACK_URL = "https://feedback.example.test"
MODEL = "gpt-4o-mini"

#: The system prompt carries an internal note that must never reach a user.
SYSTEM_SECRET = "internal-routing-key: RK-7731-ALPHA"


@dataclass
class Answer:
    """What a service returns for one question."""

    text: str
    sources: list[str] = field(default_factory=list)
    fallback: bool = False
    abstained: bool = False
    refused: bool = False


def normalise_question(text: str) -> str:
    """Canonical form of a question: NFKC, no zero-width or control characters, single spaces,
    lower case, no trailing punctuation (the production cache key and search query)."""
    text = unicodedata.normalize("NFKC", text)
    keep = " \t\n"
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc") or ch in keep)
    text = re.sub(r"\s+", " ", text).strip().lower()
    return text.rstrip("?!. ")
