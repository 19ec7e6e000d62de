"""Real receivers for the alerts tests: an SMTP server (aiosmtpd) and an HTTP server
that takes webhook POSTs, both on 127.0.0.1, each stoppable and restartable on its port.
Each can keep a message and then be slow to answer (`reply_delay`, `delay`): the
receiver that acted but whose answer came after the sender's timeout."""

import asyncio
import json
import socket
import threading
import time
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SMTPServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list = []
        self.controller: Controller | None = None
        self.reply_delay = 0.0  # seconds between keeping a message and answering 250
        self.rcpt_delay = 0.0  # seconds before answering RCPT (before any data)
        self.took_data = threading.Event()  # set once a message is kept
        self.at_rcpt = threading.Event()  # set once a sender asks RCPT

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.at_rcpt.set()
        await asyncio.sleep(self.rcpt_delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.took_data.set()
        await asyncio.sleep(self.reply_delay)
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None


class WebhookReceiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.posts: list[dict] = []
        self.headers: list[dict[str, str]] = []
        self.status = 200
        self.delay = 0.0  # seconds between keeping a post and answering
        self.server: ThreadingHTTPServer | None = None
        self.path = "/services/T000/B000/s3cr3tT0ken"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.status == 200:
                    receiver.posts.append(json.loads(body))
                    receiver.headers.append(dict(self.headers))
                time.sleep(receiver.delay)
                try:
                    self.send_response(receiver.status)
                    self.end_headers()
                    self.wfile.write(b"ok" if receiver.status == 200 else b"no_such_hook")
                except OSError:  # the sender stopped waiting (its timeout) and left
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.allow_reuse_address = True
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
