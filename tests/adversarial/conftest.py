"""Bounded fuzzers: each test a few dozen to a few hundred examples, all of them under two minutes in CI.

Examples are derived (``derandomize``) so a run is repeatable and a failure
reproduces; the strategies aim at what broke before (nesting, non-finite
numbers, short sentences with valid checksums, huge fields and counts).
"""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "adversarial", deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
FUZZ = settings.get_profile("adversarial")
