"""freezegun's freeze, started and stopped fast: the machinery under :class:`VirtualClock`.

Library layer (no pytest). Only :class:`~pytest_prodreal.clock._virtual.VirtualClock` uses it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ..errors import ProdrealError

__all__ = ["ClockError", "_Freeze"]


class ClockError(ProdrealError, RuntimeError):
    """The clock cannot do that in its current state, or another fake clock is in the way."""


# Module prefixes freezegun must leave alone. freezegun skips them when it rebinds
# ``from time import ...`` aliases, so their clocks stay real:
# - ``_pytest.timing``: pytest's own durations (``--durations``, junit times) must stay real.
# - ``threading``, ``queue``, ``multiprocessing``: their timed waits loop on a monotonic alias and
#   would spin forever on a frozen clock (freezegun's own default list has them for that reason).
# - ``trio``: its run loop asks a trio clock, not ``time``; ``_trio`` hands ``trio.run`` a virtual
#   one (trio's MockClock reading this clock). trio's own modules keep the real ``perf_counter``
#   that MockClock's autojump needs.
# - freezegun itself and this package, which keep the real clocks on purpose.
# Unlike freezegun's own ``ignore=``, this list is not matched against the call stack: every
# caller gets the same (fake) reading, deterministic and about half the cost of each call.
_IGNORE = (
    "_pytest.timing",
    "threading",
    "queue",
    "multiprocessing",
    "trio",
    "freezegun",
    "pytest_prodreal.clock",
)

# freezegun rescans every attribute of every loaded module at each start (20-50 ms with the LLM
# SDKs loaded). We scan a module once: ``_scanned`` is sys.modules as of the last start, and
# ``_alias_sites`` maps each module name to the names that held a real clock when it was scanned
# (modules without any are left out). At the next start only modules that are new, or replaced
# under the same name (pytester re-imports test modules), are scanned again. A module that binds a
# new clock alias after its scan is missed: rare, and only for aliases (``time.time()``-style calls
# through the module always see the fake).
_scanned: dict[str, Any] = {}
_alias_sites: dict[str, tuple[str, ...]] = {}


def _alias_names(namespace: dict[str, Any], wanted: dict[int, Any]) -> tuple[str, ...]:
    try:
        return tuple(name for name, value in list(namespace.items()) if id(value) in wanted)
    except RuntimeError:  # pragma: no cover - the namespace changed under us (a thread imports)
        return ()


def _datetime_schema(cls: type, source: object, handler: object) -> Any:
    from pydantic_core import core_schema  # only pydantic calls this: it is installed

    return core_schema.datetime_schema()


def _date_schema(cls: type, source: object, handler: object) -> Any:
    from pydantic_core import core_schema

    return core_schema.date_schema()


def _teach_pydantic(api: Any) -> None:
    """Give freezegun's ``FakeDatetime``/``FakeDate`` the pydantic v2 schema of the real types.

    Under a freeze, ``from datetime import datetime`` binds ``FakeDatetime``; a pydantic model
    defined then (an SDK imported lazily inside a test: anthropic builds its stream models at
    import) has ``FakeDatetime`` fields, and pydantic, imported before the freeze, refuses the
    unknown class (spulec/freezegun#480). The hook makes such fields ordinary ``datetime`` and
    ``date`` fields. pydantic is not imported here; a hook freezegun itself may add one day is
    kept.
    """
    for cls, hook in ((api.FakeDatetime, _datetime_schema), (api.FakeDate, _date_schema)):
        if "__get_pydantic_core_schema__" not in cls.__dict__:
            cls.__get_pydantic_core_schema__ = classmethod(hook)


class _Freeze:
    """freezegun's ``freeze_time(start, tick=False)``, started and stopped faster.

    It drives freezegun's own machinery (its factory stack, fake functions, ``FakeDatetime``), so
    freezegun-aware code sees an ordinary freezegun freeze. What differs from
    ``freeze_time().start()``: the rebinding of ``from time import ...`` aliases in loaded modules
    is cached between clocks (see ``_alias_sites``), and the ignore list is module-based only
    (see ``_IGNORE``). Should a freezegun release move these internals, the clock falls back to
    freezegun's public ``freeze_time`` (slower, same behaviour).
    """

    def __init__(self, start: datetime, sleep: Callable[[float], None]) -> None:
        try:
            from freezegun import api
        except ImportError as exc:
            raise ClockError(
                "the virtual clock needs freezegun: pip install 'pytest-prodreal[chaos]' "
                "(or freezegun>=1.5)"
            ) from exc

        self.api = api
        _teach_pydantic(api)
        self.factory = api.FrozenDateTimeFactory(start)
        self._public: Any = None
        self._undo: list[tuple[Any, str, Any]] = []
        self._modules_at_start: dict[str, Any] = {}
        pairs: list[tuple[str, Any, Any]] = [
            ("time", api.real_time, api.fake_time),
            ("monotonic", api.real_monotonic, api.fake_monotonic),
            ("perf_counter", api.real_perf_counter, api.fake_perf_counter),
            ("localtime", api.real_localtime, api.fake_localtime),
            ("gmtime", api.real_gmtime, api.fake_gmtime),
            ("strftime", api.real_strftime, api.fake_strftime),
        ]
        for name in ("time_ns", "monotonic_ns", "perf_counter_ns"):
            real = getattr(api, f"real_{name}", None)
            if real is not None:
                pairs.append((name, real, getattr(api, f"fake_{name}")))
        # ``time.sleep`` too, and ``from time import sleep`` aliases (common in application code).
        pairs.append(("sleep", time.sleep, sleep))
        self._time_pairs = pairs
        self._fakes: dict[int, Any] = {id(real): fake for _, real, fake in pairs}
        self._fakes[id(api.real_datetime)] = api.FakeDatetime
        self._fakes[id(api.real_date)] = api.FakeDate
        self._reals: dict[int, Any] = {id(fake): real for _, real, fake in pairs}
        self._reals[id(api.FakeDatetime)] = api.real_datetime
        self._reals[id(api.FakeDate)] = api.real_date

    def start(self) -> None:
        api = self.api
        try:
            stacks = (api.freeze_factories, api.tz_offsets, api.ignore_lists, api.tick_flags)
            uuid_attr = api.uuid_generate_time_attr
            pickles = (api.pickle_fake_datetime, api.pickle_fake_date)
        except AttributeError:  # pragma: no cover - a freezegun release reshaped its internals
            from freezegun import freeze_time

            self._public = freeze_time(self.factory(), tick=False)
            self._public.ignore = _IGNORE
            self.factory = self._public.start()
            return
        # Scan first: it only reads, so a failure leaves nothing half-patched.
        global _scanned
        current = dict(sys.modules)
        self._modules_at_start = current
        fakes = self._fakes
        for mod_name in _scanned.keys() - current.keys():
            _alias_sites.pop(mod_name, None)
        previous = _scanned
        for mod_name, module in current.items():
            if previous.get(mod_name) is module:
                continue
            names: tuple[str, ...] = ()
            try:
                namespace = getattr(module, "__dict__", None)
            except Exception:  # a lazy module object that fails on attribute access
                namespace = None
            if isinstance(namespace, dict) and not (
                mod_name.startswith(_IGNORE)
                or mod_name.endswith(".six.moves")
                or mod_name in ("datetime", "time")
            ):
                names = _alias_names(namespace, fakes)
            if names:
                _alias_sites[mod_name] = names
            else:
                _alias_sites.pop(mod_name, None)
        _scanned = current
        factories, offsets, ignores, ticks = stacks
        factories.append(self.factory)
        offsets.append(timedelta(0))
        ignores.append(())  # empty: no call-stack inspection on each fake call
        ticks.append(False)

        import copyreg
        import datetime as datetime_module
        import uuid

        datetime_module.datetime = api.FakeDatetime  # type: ignore[misc]
        datetime_module.date = api.FakeDate  # type: ignore[misc]
        for name, _real, fake in self._time_pairs:
            setattr(time, name, fake)
        if uuid_attr:
            setattr(uuid, uuid_attr, None)
        uuid._UuidCreate = None  # type: ignore[attr-defined]
        uuid._last_timestamp = None  # type: ignore[attr-defined]
        copyreg.dispatch_table[api.real_datetime] = pickles[0]
        copyreg.dispatch_table[api.real_date] = pickles[1]

        undo = self._undo
        for mod_name, names in _alias_sites.items():
            namespace = current[mod_name].__dict__
            for attr in names:
                value = namespace.get(attr)
                fake = fakes.get(id(value))
                if fake is not None:
                    namespace[attr] = fake
                    undo.append((namespace, attr, value))

    def stop(self) -> None:
        if self._public is not None:  # pragma: no cover - see start()
            self._public.stop()
            return
        import copyreg
        import datetime as datetime_module
        import uuid

        api = self.api
        api.freeze_factories.pop()
        api.tz_offsets.pop()
        api.ignore_lists.pop()
        api.tick_flags.pop()
        if api.freeze_factories:  # pragma: no cover - a freeze_time() started under ours
            return
        for namespace, attr, value in reversed(self._undo):
            namespace[attr] = value
        self._undo = []
        # Modules imported during the freeze bound the fakes: give them the real clocks.
        reals = self._reals
        new_modules = sys.modules.keys() - self._modules_at_start.keys()
        self._modules_at_start = {}  # let the modules go
        for mod_name in new_modules:
            try:
                namespace = getattr(sys.modules.get(mod_name), "__dict__", None)
            except Exception:  # a lazy module object that fails on attribute access
                continue
            if not isinstance(namespace, dict) or mod_name.startswith(_IGNORE):
                continue
            for attr in _alias_names(namespace, reals):
                namespace[attr] = reals[id(namespace[attr])]
        for name, real, _fake in self._time_pairs:
            setattr(time, name, real)
        datetime_module.datetime = api.real_datetime  # type: ignore[misc]
        datetime_module.date = api.real_date  # type: ignore[misc]
        copyreg.dispatch_table.pop(api.real_datetime, None)
        copyreg.dispatch_table.pop(api.real_date, None)
        if api.uuid_generate_time_attr:
            setattr(uuid, api.uuid_generate_time_attr, api.real_uuid_generate_time)
        uuid._UuidCreate = api.real_uuid_create  # type: ignore[attr-defined]
        uuid._last_timestamp = None  # type: ignore[attr-defined]
