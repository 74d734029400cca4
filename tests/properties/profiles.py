"""Hypothesis profiles of the harness, chosen by HYPOTHESIS_PROFILE (default `ci`).

`ci` is what `make test` runs twice per CI build (embedded PostgreSQL 18 and
the machine's 15): few examples, derandomized so a red build is red again on
rerun, no example database so nothing depends on an earlier run. `thorough`
(`make test-thorough`) explores much longer, random each time, and keeps the
failures it finds in .hypothesis/ to replay them first next time.

Profiles are applied per test (`PROFILE`), never loaded globally, so the rest
of the suite keeps its own Hypothesis settings.
"""

import os

from hypothesis import HealthCheck, settings

PROFILE_ENV = "HYPOTHESIS_PROFILE"

# Database calls make every example slow by Hypothesis's standards; the
# harness's time is bounded by max_examples and stateful_step_count instead.
_SLOW_IS_EXPECTED = [HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile(
    "ci",
    max_examples=30,
    stateful_step_count=40,
    derandomize=True,
    database=None,
    # One failure shrunk and printed: a red build says why sooner.
    report_multiple_bugs=False,
    deadline=None,
    print_blob=False,
    suppress_health_check=_SLOW_IS_EXPECTED,
)
settings.register_profile(
    "thorough",
    max_examples=400,
    stateful_step_count=80,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SLOW_IS_EXPECTED,
)

PROFILE = settings.get_profile(os.environ.get(PROFILE_ENV, "ci"))


def scaled(fraction: float) -> settings:
    """The profile with a fraction of its examples, for tests whose examples cost more."""
    return settings(PROFILE, max_examples=max(1, round(PROFILE.max_examples * fraction)))
