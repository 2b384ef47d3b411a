"""RemoteOptions: defaults and the checks on each value."""

from __future__ import annotations

import pytest

from activitylog import ConfigurationError
from activitylog.remote import RemoteOptions


def test_defaults_batch_500_events_and_back_off_from_a_tenth_of_a_second_to_five() -> None:
    options = RemoteOptions()
    assert (options.batch_size, options.linger) == (500, 0.05)
    assert (options.backoff_initial, options.backoff_max) == (0.1, 5.0)


@pytest.mark.parametrize(
    "options",
    [
        {"batch_size": 0},
        {"batch_size": 1001},
        {"linger": -1},
        {"backoff_initial": 0},
        {"backoff_initial": 2, "backoff_max": 1},
        {"request_timeout": 0},
    ],
)
def test_bad_options_are_configuration_errors(options: dict[str, float]) -> None:
    with pytest.raises(ConfigurationError):
        RemoteOptions(**options)  # type: ignore[arg-type]
