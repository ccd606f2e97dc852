"""pydantic models made while the virtual clock runs (freezegun's known pydantic v2 clash).

freezegun swaps ``datetime.datetime`` for its ``FakeDatetime`` while a freeze runs. A module
imported then (``from datetime import datetime``) annotates its pydantic fields with
``FakeDatetime``, which pydantic v2 does not know when pydantic itself was imported before the
freeze: ``PydanticSchemaGenerationError``. pytest-randomly's seeders import pydantic early, so
an SDK (anthropic builds its stream models at import) imported lazily inside a ``chaos`` test
failed to import (spulec/freezegun#480, pydantic/pydantic#10287).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pydantic
import pydantic._internal._generate_schema  # imported before the clock: the clash
import pytest

from pytest_prodreal.clock import VirtualClock


def test_a_model_defined_under_the_clock_accepts_datetime_and_date_fields() -> None:
    with VirtualClock():
        from datetime import date, datetime  # freezegun's FakeDatetime and FakeDate now

        from freezegun import api

        assert (datetime, date) == (api.FakeDatetime, api.FakeDate)  # the clash's precondition

        class Event(pydantic.BaseModel):
            at: datetime
            day: date

        event = Event(at="2024-05-01T12:00:00", day="2024-05-01")
        assert event.at == dt.datetime(2024, 5, 1, 12) and event.day == dt.date(2024, 5, 1)
        schema = Event.model_json_schema()["properties"]
        assert schema["at"]["format"] == "date-time" and schema["day"]["format"] == "date"
        with pytest.raises(pydantic.ValidationError):
            Event(at="not a time", day="2024-05-01")
        now = Event(at=datetime.now(), day=date.today())  # the fakes' own instances validate
        assert now.model_dump_json().startswith('{"at":"')


_SCRIPT = """
import pydantic, pydantic._internal._generate_schema  # as pytest-randomly's seeders do
from pytest_prodreal.chaos import Chaos
from pytest_prodreal.chaos.llm import anthropic_message
from pytest_prodreal.clock import VirtualClock
with VirtualClock(), Chaos(seed=1) as chaos:
    import anthropic  # first imported inside the test
    chaos.route("POST", "https://api.anthropic.com/v1/messages", json=anthropic_message("Paris."))
    client = anthropic.Anthropic(api_key="sk-ant-test")
    msg = client.messages.create(
        model="claude-sonnet-4-5", max_tokens=8, messages=[{"role": "user", "content": "q"}]
    )
    print(msg.content[0].text)
"""


def test_the_anthropic_sdk_first_imported_under_the_clock_works() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "Paris."


def test_the_clock_does_not_import_pydantic() -> None:
    script = (
        "import sys\nfrom pytest_prodreal.clock import VirtualClock\n"
        "with VirtualClock():\n    pass\nprint('pydantic' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"
