"""The benchmark's side-by-side timing: what the ratios in docs/benchmarks.md rest on."""

import sys
import threading
import time
import types
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import loadgen  # noqa: E402


class Recorder:
    """Stand-in servers on the loopback that note every request they answer, in order."""

    def __init__(self):
        self.requests: list[tuple[int, str]] = []
        self.clock = 0.0  # seconds on a stand-in clock: each answer moves it on by its server's cost
        self.lock = threading.Lock()
        self.servers = []

    def serve(self, *, status: int = 200, cost: float = 0.0) -> int:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                with recorder.lock:
                    recorder.requests.append((self.server.server_port, self.path))
                    recorder.clock += cost
                body = b"page"
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.servers.append(server)
        return server.server_port

    def close(self):
        for server in self.servers:
            server.shutdown()
            server.server_close()


@pytest.fixture
def recorder():
    recorder = Recorder()
    yield recorder
    recorder.close()


def test_contestants_take_turns_in_warm_runs_and_the_order_rotates(recorder):
    app, datasette = recorder.serve(), recorder.serve()
    targets = {"app": (app, "/a"), "default": (datasette, "/d"), "nosuggest": (datasette, "/n")}

    results = loadgen.measure_latency_side_by_side(targets, requests=4, warmup=2, budget=60, run=2)

    asked = [path for _, path in recorder.requests]
    assert asked == [
        # The warm-up, each in turn.
        *("/a", "/a", "/d", "/d", "/n", "/n"),
        # Then rounds: each contestant one untimed request, then a run of timed ones; the order rotates.
        *("/d", "/d", "/d", "/n", "/n", "/n", "/a", "/a", "/a"),
        *("/n", "/n", "/n", "/a", "/a", "/a", "/d", "/d", "/d"),
    ]
    for result in results.values():
        assert len(result.samples) == 4  # neither the warm-up nor the request opening each run is timed
        assert result.first > 0 and result.errors == 0 and result.status == 200


def test_every_timed_request_follows_one_to_the_same_page(recorder, monkeypatch):
    # Each request's part is seen as it is made: timed or not, and what the request before it asked for.
    app, datasette = recorder.serve(), recorder.serve()
    targets = {"app": (app, "/a"), "default": (datasette, "/d"), "nosuggest": (datasette, "/n")}
    timed_after = []
    real_record = loadgen._record

    def record(result, port, path, *, first, timed):
        if timed:
            timed_after.append((recorder.requests[-1][1] if recorder.requests else None, path))
        real_record(result, port, path, first=first, timed=timed)

    monkeypatch.setattr(loadgen, "_record", record)

    loadgen.measure_latency_side_by_side(targets, requests=10, warmup=1, budget=60)

    assert len(timed_after) == 30
    assert all(before == path for before, path in timed_after)


def test_a_contestant_past_its_budget_stops_while_the_others_go_on(recorder, monkeypatch):
    # The budget is read off the stand-in clock, so how busy the machine is cannot change the outcome.
    monkeypatch.setattr(
        loadgen, "time", types.SimpleNamespace(monotonic=lambda: recorder.clock, perf_counter=time.perf_counter)
    )
    slow, fast = recorder.serve(cost=0.2), recorder.serve(cost=0.001)
    targets = {"slow": (slow, "/slow"), "fast": (fast, "/fast")}

    results = loadgen.measure_latency_side_by_side(targets, requests=6, warmup=1, budget=0.5)

    assert len(results["fast"].samples) == 6
    # Its warm-up, the untimed request opening its run and one timed request take it past 0.5 s of
    # its own time, whatever the fast one spent.
    assert [path for _, path in recorder.requests].count("/slow") == 3
    assert len(results["slow"].samples) == 1


def test_an_answer_other_than_200_is_an_error_and_not_timed(recorder):
    broken, working = recorder.serve(status=500), recorder.serve()

    results = loadgen.measure_latency_side_by_side(
        {"broken": (broken, "/"), "working": (working, "/")}, requests=3, warmup=1, budget=60
    )

    # The warm-up, the request opening the run and the 3 timed ones: all errors, none timed.
    assert results["broken"].samples == [] and results["broken"].errors == 5 and results["broken"].status == 500
    assert len(results["working"].samples) == 3 and results["working"].errors == 0


def test_first_visits_ask_each_state_once_after_a_cheap_request_to_the_same_server(recorder):
    app, datasette = recorder.serve(), recorder.serve()
    targets = {
        "app": (app, ["/a?s=1", "/a?s=2", "/a?s=3"], "/healthz"),
        "nosuggest": (datasette, ["/d?s=1", "/d?s=2", "/d?s=3"], "/-/versions.json"),
    }

    results = loadgen.measure_first_visits(targets, budget=60)

    asked = [path for _, path in recorder.requests]
    assert asked == [
        # State by state, the order rotating; each state once per contestant, after its cheap address.
        *("/healthz", "/a?s=1", "/-/versions.json", "/d?s=1"),
        *("/-/versions.json", "/d?s=2", "/healthz", "/a?s=2"),
        *("/healthz", "/a?s=3", "/-/versions.json", "/d?s=3"),
    ]
    assert [len(result.samples) for result in results.values()] == [3, 3]
    assert all(result.errors == 0 for result in results.values())
