"""A real HTTP server on 127.0.0.1 in a background thread, with faults scripted in advance.

The provider fakes build on it: the official clients talk to them over real sockets, so
a test exercises the clients' own encoding, authentication and error handling.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class FakeRequest:
    method: str
    target: str  # path and query string, exactly as requested
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class FakeResponse:
    status: int
    body: Any = None  # JSON-encoded unless None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Fault:
    response: FakeResponse | None = None  # answer this instead of handling the request
    drop: bool = False  # close the connection without an answer
    after_accepting: bool = False  # handle the request (and record it) first, then drop
    stall: float = 0.0  # seconds to sit on the request first (until stopped, if sooner)


class FakeHttpApi:
    """Subclasses implement `handle`; tests script faults with `fail_next`, `drop_next`..."""

    def __init__(self) -> None:
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.requests: list[FakeRequest] = []  # every request, faulted or not

    # --- what subclasses provide -------------------------------------------------------
    def handle(self, request: FakeRequest) -> FakeResponse:
        raise NotImplementedError

    # --- scripting --------------------------------------------------------------------
    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def drop_next(self, *, after_accepting: bool = False) -> None:
        """The next request gets no answer: the connection closes, as on a network failure.

        `after_accepting`: the fake handles (and records) the request first, the ambiguous
        case where the provider has the message but the caller never hears so.
        """
        self.add_fault(Fault(drop=True, after_accepting=after_accepting))

    def stall_next(self, seconds: float) -> None:
        """The next request waits this long before it is handled, to trip a client timeout."""
        self.add_fault(Fault(stall=seconds))

    # --- running ----------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        # A short poll keeps stop() (and so each test's teardown) quick.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # release stalled requests
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _take_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def _serve(self, request: FakeRequest) -> FakeResponse | None:
        """The answer to a request, or None to drop the connection."""
        with self._lock:
            self.requests.append(request)
        fault = self._take_fault()
        if fault is None:
            return self.handle(request)
        if fault.stall:
            self._stopping.wait(fault.stall)
        if fault.drop and not fault.after_accepting:
            return None
        response = fault.response or self.handle(request)
        return None if fault.drop else response


def _handler_for(api: FakeHttpApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: one request per connection, so a dropped connection is never a pooled one.
        protocol_version = "HTTP/1.0"

        def do_GET(self) -> None:
            self._dispatch()

        def do_POST(self) -> None:
            self._dispatch()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

        def _dispatch(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = FakeRequest(
                method=self.command,
                target=self.path,
                path=parts.path,
                query={k: v[-1] for k, v in parse_qs(parts.query).items()},
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            response = api._serve(request)
            if response is None:
                self.close_connection = True
                return  # nothing written: the client sees the connection close
            body = b"" if response.body is None else json.dumps(response.body).encode()
            try:
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                if response.body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up waiting (a stalled request)

    return Handler


def post_to_this_machine(url: str, body: bytes, headers: Mapping[str, str]) -> int:
    """POST as a provider calling back would; the HTTP status. Loopback only: tests stay offline."""
    if urlsplit(url).hostname not in LOOPBACK:
        raise ValueError("the fakes only call back to this machine")
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
