"""Moves the wall clock of a CLI command the tests start, when the suite runs with its clock ahead.

tests/conftest.py puts this folder on PYTHONPATH and sets ALPR_EDGE_CLI_DAYS_AHEAD
(ALPR_EDGE_TEST_DAYS_AHEAD=400): Python imports it at start-up, and
time-machine moves time.time() and datetime.now() as in the tests' own process.
The monotonic clock stays real: libfaketime used to fake it too, and then every
timed wait on a thread (queue.get, Event.wait) slept until the faked monotonic
time, that is for ever (`selftest` and `run` hung); with it left real,
time.sleep failed with EINVAL.
"""

import os

_days = float(os.environ.get("ALPR_EDGE_CLI_DAYS_AHEAD") or 0)
if _days:
    import time

    import time_machine

    time_machine.travel(time.time() + _days * 86400, tick=True).start()
