"""The sandbox's simulated clock.

Everything the real service makes people wait for (the 10 s before a tracking log
exists, the ring and hang-up offsets, the ``insec`` delay) is expressed in simulated
seconds, so a test can run the same scenario 1000 times faster than real time simply by
starting the clock with ``speed=1000``:

    sim_now = start + (real_now - start) * speed + offset

The clock starts at the real wall-clock time, so dates in tracking answers look like
real Unix times, and it advances on the monotonic clock so a wall-clock jump on the
host cannot make simulated time go backwards. ``offset`` lets a test jump ahead
(``POST /_sandbox/clock``) instead of sleeping; it never goes back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class SimClock:
    """A clock that runs ``speed`` times faster than real time and can be moved forward."""

    def __init__(
        self,
        speed: float = 1.0,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not speed > 0:  # also rejects NaN
            raise ValueError(f"speed must be a positive number, got {speed!r}")
        self._speed = float(speed)
        self._monotonic = monotonic
        self._start_wall = wall()
        self._start_mono = monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def speed(self) -> float:
        """How many simulated seconds pass per real second."""
        return self._speed

    def now(self) -> float:
        """The simulated time, in Unix seconds."""
        with self._lock:
            offset = self._offset
        return self._start_wall + (self._monotonic() - self._start_mono) * self._speed + offset

    def advance(self, seconds: float) -> float:
        """Jump ``seconds`` simulated seconds ahead (never back) and return the new time.

        Tests use this to reach "the tracking log exists" or "a month has passed"
        deterministically rather than sleeping and hoping the machine is not loaded.
        """
        if not seconds >= 0:
            raise ValueError(f"the clock only moves forward; got {seconds!r} seconds")
        with self._lock:
            self._offset += float(seconds)
        return self.now()
