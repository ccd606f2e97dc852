"""Recorded responses as a route's healthy response: VCR.py cassettes and JSONL pairs.

A suite tests against what production really returned, with chaos faults on top::

    llm = chaos.route("POST", "https://api.openai.com/v1/chat/completions")
    llm.respond_with(Cassette.load("tests/cassettes/answer.yaml")).scenario("llm_degraded")

(``respond=Cassette.load(...)`` in ``chaos.route(...)`` works too: a cassette is a
``respond(request)`` callable.) A call the faults leave alone is answered from the recording;
a faulted call never consumes an entry.

* **Formats.** A VCR.py cassette (YAML, vcrpy's own format: ``interactions`` of
  ``request``/``response``; read with vcrpy's safe loader when vcrpy is installed, else PyYAML's
  ``safe_load``), or a JSONL file with one ``{"request": {"method", "url", "body"?|"json"?},
  "response": {"status", "headers"?, "body"?|"json"?}}`` object per line.
* **Matching.** Method and URL (query included); with ``match_body=True`` the request body too.
  Entries with the same request are played in order; the last one repeats when a client asks
  again (retries, polling).
* **Reporting.** A request that no entry matches is answered with a connection error and
  *fails the test at teardown* (like a request no route matches: the recording does not cover
  what the code now sends). Entries that no request used are reported by a ``ProdrealWarning``
  at teardown (``filterwarnings = error`` makes that a failure too), naming each entry.
* **Bad input.** An unreadable or malformed file is ``InvalidArgument`` naming the file and
  the entry (``cassette.yaml: interaction 3: response has no status``).

Library layer: no pytest; httpx is imported when an entry answers.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgument

if TYPE_CHECKING:
    from ._core import Chaos

__all__ = ["Cassette", "Recording"]

#: Headers a replay must not pass on as recorded (the body is re-framed, maybe decoded).
_FRAMING = frozenset({"content-length", "transfer-encoding", "connection"})


@dataclass(frozen=True)
class Recording:
    """One recorded request/response pair (``index`` is its position in the file, from 0)."""

    index: int
    method: str
    url: str
    body: bytes
    status: int
    headers: tuple[tuple[str, str], ...]
    content: bytes

    def describe(self) -> str:
        """``entry 3 (POST https://...) -> 200`` for reports."""
        return f"entry {self.index} ({self.method} {self.url}) -> {self.status}"


def _norm_url(url: str) -> str:
    import httpx

    return str(httpx.URL(url))


def _bytes(value: Any, where: str) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, Mapping) and "string" in value:  # vcrpy: body: {string: ...}
        return _bytes(value["string"], where)
    raise InvalidArgument(f"{where}: body must be text or bytes, got {type(value).__name__}")


def _headers(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise InvalidArgument(f"{where}: headers must be a mapping of name to value(s)")
    out: list[tuple[str, str]] = []
    for name, values in value.items():
        for v in values if isinstance(values, list) else [values]:
            out.append((str(name), str(v)))
    return tuple(out)


def _status(value: Any, where: str) -> int:
    code = value.get("code") if isinstance(value, Mapping) else value  # vcrpy: {code, message}
    if isinstance(code, bool) or not isinstance(code, int) or not 100 <= code <= 599:
        raise InvalidArgument(f"{where}: response has no valid status (got {value!r})")
    return code


def _entry(raw: Any, index: int, where: str, *, vcr: bool) -> Recording:
    here = f"{where}: {'interaction' if vcr else 'line'} {index + (0 if vcr else 1)}"
    if not isinstance(raw, Mapping):
        raise InvalidArgument(f"{here}: expected a mapping with request and response")
    req, resp = raw.get("request"), raw.get("response")
    if not isinstance(req, Mapping) or not isinstance(resp, Mapping):
        raise InvalidArgument(f"{here}: needs both a 'request' and a 'response' mapping")
    method, url = req.get("method"), req.get("uri" if vcr else "url") or req.get("url")
    if not isinstance(method, str) or not isinstance(url, str) or not url:
        key = "uri" if vcr else "url"
        raise InvalidArgument(f"{here}: the request needs a 'method' and a '{key}'")
    if "status" not in resp:
        raise InvalidArgument(f"{here}: response has no status")
    body = json.dumps(req["json"]).encode() if "json" in req else _bytes(req.get("body"), here)
    headers = _headers(resp.get("headers"), here)
    if "json" in resp:
        content = json.dumps(resp["json"]).encode()
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers += (("content-type", "application/json"),)
    else:
        content = _bytes(resp.get("body"), here)
    try:
        url = _norm_url(url)
    except Exception as exc:
        raise InvalidArgument(f"{here}: the request URL {url!r} is not a URL ({exc})") from None
    return Recording(index, method.upper(), url, body, _status(resp["status"], here), headers,
                     content)  # fmt: skip


def _read_yaml(text: str, where: str) -> list[Recording]:
    import importlib

    try:
        # vcrpy's own safe cassette loader (it knows vcrpy's few Python tags); PyYAML without it.
        # Imported by name: neither ships type information.
        try:
            data = importlib.import_module("vcr.serializers.yamlserializer").deserialize(text)
        except ImportError:
            data = importlib.import_module("yaml").safe_load(text)
    except ImportError:
        raise InvalidArgument(
            f"{where}: reading a VCR.py cassette needs vcrpy or PyYAML: pip install vcrpy"
        ) from None
    except Exception as exc:
        raise InvalidArgument(f"{where}: not a readable VCR.py cassette ({exc})") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("interactions"), list):
        raise InvalidArgument(
            f"{where}: not a VCR.py cassette (expected a mapping with an 'interactions' list)"
        )
    return [_entry(raw, i, where, vcr=True) for i, raw in enumerate(data["interactions"])]


def _read_jsonl(text: str, where: str) -> list[Recording]:
    out: list[Recording] = []
    for n, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except ValueError as exc:
            raise InvalidArgument(f"{where}: line {n + 1}: not JSON ({exc})") from None
        out.append(_entry(raw, n, where, vcr=False))
    return out


@dataclass
class Cassette:
    """Recorded responses answering a route's healthy calls (see the module docstring).

    Build with :meth:`load`; pass to :meth:`HttpRoute.respond_with` or as ``respond=``.
    """

    path: str
    entries: tuple[Recording, ...]
    match_body: bool = False
    used: set[int] = field(default_factory=set)
    misses: list[str] = field(default_factory=list)
    chaos: Chaos | None = None
    _cursor: dict[tuple[str, str, bytes], int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, match_body: bool = False) -> Cassette:
        """Read a VCR.py cassette (``.yaml``/``.yml``) or a JSONL file (``.jsonl``/``.json``)."""
        where = os.fspath(path)
        try:
            text = Path(where).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidArgument(f"Cassette.load: cannot read {where} ({exc})") from None
        suffix = Path(where).suffix.lower()
        if suffix in (".yaml", ".yml"):
            entries = _read_yaml(text, where)
        elif suffix in (".jsonl", ".json", ".ndjson"):
            entries = _read_jsonl(text, where)
        else:
            raise InvalidArgument(
                f"Cassette.load: {where} is neither a VCR.py cassette (.yaml/.yml) nor JSONL "
                "(.jsonl): rename it or convert it"
            )
        if not entries:
            raise InvalidArgument(f"{where}: no recorded interactions; record some first")
        return cls(where, tuple(entries), match_body=match_body)

    def _key(self, method: str, url: str, body: bytes) -> tuple[str, str, bytes]:
        return (method, url, body if self.match_body else b"")

    def __call__(self, request: Any) -> Any:
        """Answer ``request`` from the recording (a connection error when none matches)."""
        import httpx

        key = self._key(request.method, _norm_url(str(request.url)), request.content)
        with self._lock:
            same = [e for e in self.entries if self._key(e.method, e.url, e.body) == key]
            if not same:
                text = f"{request.method} {request.url}"
                self.misses.append(text)
                chaos = self.chaos
                if chaos is None:
                    from ._core import current_chaos

                    chaos = current_chaos()
                if chaos is not None:
                    # Fails the chaos at exit, as a request no route matches does.
                    chaos._unmatched.append(f"{text} (no entry in cassette {self.path})")
                raise httpx.ConnectError(
                    f"chaos: cassette {self.path} has no recorded response for {text}; "
                    "re-record it or add the entry",
                    request=request,
                )
            n = self._cursor.get(key, 0)
            entry = same[min(n, len(same) - 1)]  # the last one repeats
            self._cursor[key] = n + 1
            self.used.add(entry.index)
        headers = [(k, v) for k, v in entry.headers if k.lower() not in _FRAMING]
        content = entry.content
        if any(k.lower() == "content-encoding" for k, _ in headers) and not content.startswith(
            b"\x1f\x8b"
        ):
            # vcrpy may store the decoded body (decode_compressed_response): do not claim gzip.
            headers = [(k, v) for k, v in headers if k.lower() != "content-encoding"]
        return httpx.Response(entry.status, headers=headers, content=content, request=request)

    def unused(self) -> list[Recording]:
        """Entries no request has used (so far)."""
        return [e for e in self.entries if e.index not in self.used]

    def report(self) -> list[str]:
        """A sentence about unused entries (empty when every entry answered a request)."""
        left = self.unused()
        if not left:
            return []
        names = "; ".join(e.describe() for e in left[:10])
        more = f" and {len(left) - 10} more" if len(left) > 10 else ""
        return [
            f"cassette {self.path}: {len(left)} of {len(self.entries)} recorded entries were "
            f"never requested ({names}{more}): the code no longer sends them, or the test does "
            "not reach them; re-record the cassette or drop the entries"
        ]
