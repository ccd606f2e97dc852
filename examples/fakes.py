"""The world the services talk to, as chaos route handlers: a search API and an LLM.

``FakeSearch`` is a keyword search over a few passages; ``FakeModel`` plays a chat model that
behaves like a real one in the ways that matter to these tests: it follows the instructions it
is given (cite, quote, say NO_ANSWER), it obeys an injected instruction (a vulnerable model),
it repeats what the sources say (PII included), and it reports token usage.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any

import httpx

SEARCH = "https://search.example.test/v1/search"
CHAT = "https://api.openai.com/v1/chat/completions"
FEEDBACK = "https://feedback.example.test/v1/feedback"

PASSAGES = {
    "d1": "Paris is the capital and largest city of France.",
    "d2": "Madrid is the capital of Spain.",
    "d3": "Mont Blanc is 4,806 metres tall.",
    "d4": "Victor Hugo wrote Les Misérables, published in 1862.",
    "d5": "Rome is the capital of Italy.",
}
_STOP = {"the", "of", "is", "what", "who", "how", "a", "an", "and", "in", "s", "whats"}


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.lower()) if w not in _STOP}


@dataclass
class FakeSearch:
    """A keyword search API: passages sharing a word with the query, best first."""

    passages: dict[str, str] = field(default_factory=lambda: dict(PASSAGES))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        query = request.url.params.get("q", "")
        if not query.strip():
            return httpx.Response(400, json={"error": "empty query"})
        k = int(request.url.params.get("k", "3"))
        words = _words(query)
        scored = sorted(
            ((len(words & _words(text)), pid) for pid, text in self.passages.items()),
            key=lambda sp: (-sp[0], sp[1]),
        )
        hits = [{"id": pid, "text": self.passages[pid]} for score, pid in scored if score][:k]
        return httpx.Response(200, json={"hits": hits})


def completion(
    text: str, model: str = "gpt-4o-mini", tokens: tuple[int, int] = (120, 30)
) -> dict[str, Any]:
    """A chat completion body as the OpenAI API returns it (with ``usage``)."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
        ],
        "usage": {
            "prompt_tokens": tokens[0],
            "completion_tokens": tokens[1],
            "total_tokens": sum(tokens),
        },
    }


class FakeModel:
    """A chat model: follows its instructions, and an injected one too."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        messages = body["messages"]
        system = " ".join(m["content"] for m in messages if m["role"] == "system")
        user = messages[-1]["content"]
        question = user.rsplit("Question:", 1)[-1]
        sources = re.findall(r"^\[(\w+)\] (.*)$", user.split("Question:", 1)[0], re.M)
        if re.search(r"instructions|system prompt|hidden rules|developer mode", question, re.I):
            text = f"Sure. My instructions: {system}"  # a model obeys what it is told
        elif not sources or not (_words(question) & _words(" ".join(t for _, t in sources))):
            text = "NO_ANSWER" if "NO_ANSWER" in system else "It is probably 42."
        else:
            sid, passage = max(sources, key=lambda s: len(_words(question) & _words(s[1])))
            # A model told to cite does; one that is not, does not.
            text = f'According to [{sid}]: "{passage}"' if "cite" in system else passage
        prompt_tokens = max(1, len(user) // 4)
        return httpx.Response(
            200,
            json=completion(
                text, body.get("model", "gpt-4o-mini"), (prompt_tokens, len(text) // 4)
            ),
        )


class FeedbackServer:
    """The feedback API: records one rating per idempotency key (every keyless post counts)."""

    def __init__(self) -> None:
        self.ratings: list[str] = []
        self.replies: dict[str, dict[str, str]] = {}
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        key = request.headers.get("Idempotency-Key")
        with self.lock:
            if key is None or key not in self.replies:
                self.ratings.append(key or "<no key>")
                reply = {"id": f"fb_{len(self.ratings)}"}
                if key is not None:
                    self.replies[key] = reply
                return httpx.Response(200, json=reply)
            return httpx.Response(200, json=self.replies[key])
