"""Latency and throughput of one address on 127.0.0.1, with the standard library only.

Every request opens a new connection: gunicorn's sync workers close the
connection after each response anyway, so this treats both contestants alike
(a loopback connect costs tens of microseconds).
"""

import http.client
import math
import statistics
import threading
import time
from dataclasses import dataclass, field

HOST = "127.0.0.1"  # the only address this harness ever talks to
REQUEST_TIMEOUT = 60.0


@dataclass
class Response:
    status: int
    body: bytes
    seconds: float


def get(port: int, path: str, timeout: float = REQUEST_TIMEOUT) -> Response:
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": f"{HOST}:{port}", "Accept": "text/html"})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    return Response(response.status, body, time.perf_counter() - started)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: with 40 samples p95 is the 38th fastest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class Latency:
    samples: list[float] = field(default_factory=list)
    first: float = math.nan  # the first (warm-up) request: it meets cold caches
    status: int = 0
    bytes: int = 0
    errors: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else math.nan

    @property
    def p95(self) -> float:
        return percentile(self.samples, 0.95) if self.samples else math.nan


def _record(result: Latency, port: int, path: str, *, first: bool, timed: bool) -> None:
    """One request into ``result``: kept as ``first`` if it is the first, as a sample if it is timed."""
    try:
        response = get(port, path)
    except OSError:
        result.errors += 1
        return
    result.status, result.bytes = response.status, len(response.body)
    if first:
        result.first = response.seconds
    if response.status != 200:
        result.errors += 1
    elif timed:
        result.samples.append(response.seconds)


def measure_latency(port: int, path: str, requests: int, warmup: int, budget: float) -> Latency:
    """Sequential requests from one client; stops early (fewer samples) if ``budget`` seconds run out."""
    result = Latency()
    deadline = time.monotonic() + budget
    for number in range(warmup + requests):
        if time.monotonic() > deadline:
            break
        _record(result, port, path, first=number == 0, timed=number >= warmup)
    return result


# Timed requests in a row per contestant, side by side (each run after one untimed request).
RUN = 4


def measure_latency_side_by_side(
    targets: dict[str, tuple[int, str]], requests: int, warmup: int, budget: float, run: int = RUN
) -> dict[str, Latency]:
    """Each target's latency, their requests interleaved: round after round, a short run of each.

    On a shared machine whose speed drifts (other tenants, frequency changes), contestants timed
    one after the other can meet different machines; interleaved, every contestant meets the same
    moments, so the ratios between them hold even when the absolute figures move. The order within
    a round rotates, so no contestant always follows the same one. Sequential, never concurrent:
    one request at a time. ``budget`` is per target: the seconds its own requests may take in all.

    A request that follows another server's finds its own process's memory pushed out of the CPU's
    caches by the other's work, and takes longer for it: a few-millisecond page by a millisecond or
    more (the same as when the client touches 64 MB between requests). One request to each in turn
    would time every request that way, and unevenly: Datasette with and without ``_nosuggest`` is one
    process, so its requests often follow its own while the app's never do. So each contestant's
    turn is one untimed request and then ``run`` timed ones: every timed request follows a request
    to the same server and page, whoever went before. (Of the app's two workers, the one that answers
    may not be the one that answered before, so its first timed request can still be the colder.)
    """
    names = list(targets)
    results = {name: Latency() for name in names}
    spent = dict.fromkeys(names, 0.0)

    def turn(name: str, untimed: int, timed: int, *, opening: bool = False) -> None:
        port, path = targets[name]
        for number in range(untimed + timed):
            if spent[name] > budget:
                return
            started = time.monotonic()
            _record(results[name], port, path, first=opening and number == 0, timed=number >= untimed)
            spent[name] += time.monotonic() - started

    for name in names:
        turn(name, warmup, 0, opening=True)
    for number in range(math.ceil(requests / run)):
        shift = (number + 1) % len(names)
        for name in names[shift:] + names[:shift]:
            turn(name, 1, min(run, requests - number * run))
    return results


def measure_first_visits(targets: dict[str, tuple[int, list[str], str]], budget: float) -> dict[str, Latency]:
    """Each target's latency over distinct addresses, each asked for once: every timed request is a first visit.

    ``targets`` maps a contestant to its port, its addresses (the same states in the same order for
    every contestant) and an address it answers cheaply. The contestants take turns state by state,
    the order rotating, as in ``measure_latency_side_by_side``; each timed request follows an untimed
    one to the cheap address on the same server, so that none is timed straight after another
    server's work. ``budget`` is per target, as there.
    """
    names = list(targets)
    results = {name: Latency() for name in names}
    spent = dict.fromkeys(names, 0.0)
    count = min(len(paths) for _, paths, _ in targets.values())
    for number in range(count):
        shift = number % len(names)
        for name in names[shift:] + names[:shift]:
            if spent[name] > budget:
                continue
            port, paths, cheap = targets[name]
            started = time.monotonic()
            _record(Latency(), port, cheap, first=False, timed=False)
            _record(results[name], port, paths[number], first=number == 0, timed=True)
            spent[name] += time.monotonic() - started
    return results


@dataclass
class Throughput:
    completed: int
    errors: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.completed / self.seconds if self.seconds else math.nan


def measure_throughput(port: int, path: str, clients: int, duration: float) -> Throughput:
    """``clients`` threads each requesting back to back for ``duration`` seconds.

    A request in flight at the deadline is allowed to finish and is counted,
    and the elapsed time runs until the last one has, so slow pages are not
    flattered by the cut-off.
    """
    lock = threading.Lock()
    totals = {"completed": 0, "errors": 0}
    deadline = time.monotonic() + duration

    def client():
        completed = errors = 0
        while time.monotonic() < deadline:
            try:
                ok = get(port, path).status == 200
            except OSError:
                ok = False
            completed += ok
            errors += not ok
        with lock:
            totals["completed"] += completed
            totals["errors"] += errors

    started = time.monotonic()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + REQUEST_TIMEOUT + 5)
    return Throughput(totals["completed"], totals["errors"], time.monotonic() - started)
