import gc

import pytest

from slaweb.memory import collector_paused


@pytest.mark.parametrize("enabled_before", [True, False])
def test_the_collector_is_off_inside_and_as_it_was_after(enabled_before: bool) -> None:
    was = gc.isenabled()
    try:
        if enabled_before:
            gc.enable()
        else:
            gc.disable()
        with collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled_before
        with pytest.raises(RuntimeError), collector_paused():
            raise RuntimeError("a batch that fails")
        assert gc.isenabled() is enabled_before
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()
