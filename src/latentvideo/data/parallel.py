"""Order-preserving parallel map over processes with a bounded number of items in flight.

Results come back in input order, so outputs do not depend on the worker count. ``workers <= 1``
runs in-process (no pickling, easy debugging).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def ordered_map(fn: Callable[..., T], items: Iterable[Any], workers: int, in_flight: int | None = None) -> Iterator[T]:
    """``fn(item)`` for each item, in order; at most ``in_flight`` (default ``2 * workers``) pending."""
    if workers <= 1:
        yield from (fn(item) for item in items)
        return
    limit = in_flight or 2 * workers
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[T]] = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
