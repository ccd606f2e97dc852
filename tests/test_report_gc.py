"""Building the report pauses the cyclic garbage collector and always restores it."""

from __future__ import annotations

import gc

import pytest

from pytest_prodreal._glue.reporting import _cyclic_gc_paused


def test_the_collector_is_paused_inside_and_enabled_again_after() -> None:
    assert gc.isenabled()
    with _cyclic_gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_enables_it_again() -> None:
    with pytest.raises(RuntimeError), _cyclic_gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_the_user_disabled_stays_disabled() -> None:
    gc.disable()
    try:
        with _cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_run_with_a_report_leaves_the_collector_enabled(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.prodreal("dependencies")
        def test_a():
            pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:randomly", "--prodreal-report=json:r.json")
    result.assert_outcomes(passed=1)
    assert (pytester.path / "r.json").is_file()
    assert gc.isenabled()
