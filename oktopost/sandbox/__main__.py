"""`python -m oktopost.sandbox`: run the local Oktopost API stand-in until interrupted."""

from __future__ import annotations

import argparse
import signal
import threading
import time
from types import FrameType

from oktopost.demo import DEMO_ACCOUNT_ID, DEMO_API_KEY, SANDBOX_PORT


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m oktopost.sandbox", description="Local Oktopost API v2 sandbox."
    )
    parser.add_argument("--port", type=int, default=SANDBOX_PORT)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--posts", type=int, default=2000, help="posts to generate")
    parser.add_argument("--seed", type=int, default=1, help="world generator seed")
    parser.add_argument("--state", help="JSON file to load the world from and save it to")
    parser.add_argument("--account-id", help="Basic auth user (default: the demo account)")
    parser.add_argument("--api-key", help="Basic auth password (default: the demo key)")
    parser.add_argument(
        "--block-seconds", type=int, default=900, help="block after a burst-limit breach"
    )
    parser.add_argument(
        "--limit-status", type=int, default=429, help="HTTP status of rate-limit refusals"
    )
    parser.add_argument(
        "--upload-delay",
        type=float,
        default=None,
        help="seconds an upload stays pending at least (default: $OKTOPOST_SANDBOX_UPLOAD_DELAY "
        "or 3)",
    )
    parser.add_argument(
        "--order",
        choices=("desc", "asc"),
        default="desc",
        help="direction of list sorting (newest first by default)",
    )
    args = parser.parse_args(argv)
    if (args.account_id is None) != (args.api_key is None):
        parser.error("--account-id and --api-key go together")
    if args.upload_delay is not None and args.upload_delay < 0:
        parser.error("--upload-delay must not be negative")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    # Imported here so `--help` stays instant and the package __init__ stays light.
    from oktopost.sandbox.app import SandboxConfig
    from oktopost.sandbox.server import serve

    try:
        config = SandboxConfig(
            posts=args.posts,
            seed=args.seed,
            account_id=args.account_id or DEMO_ACCOUNT_ID,
            api_key=args.api_key or DEMO_API_KEY,
            block_seconds=args.block_seconds,
            limit_status=args.limit_status,
            descending=args.order == "desc",
            state_path=args.state,
            # Given on the command line, it wins over OKTOPOST_SANDBOX_UPLOAD_DELAY.
            **({} if args.upload_delay is None else {"upload_delay": args.upload_delay}),
        )
    except ValueError as error:  # e.g. a bad OKTOPOST_SANDBOX_UPLOAD_DELAY
        raise SystemExit(f"python -m oktopost.sandbox: {error}") from None
    # Handlers first: a stop asked for while the world is still being built or loaded
    # ends the same quiet way as a later one (no KeyboardInterrupt traceback).
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    started = time.perf_counter()
    handle = serve(config, host=args.host, port=args.port)
    world = handle.sandbox.world
    elapsed = time.perf_counter() - started
    print(f"Oktopost sandbox: account id {config.account_id}, API key {config.api_key}")
    print(f"World: {len(world.posts)} posts, seed {world.seed}, built in {elapsed:.1f}s")
    print(f"Control API: {handle.root_url}/_sandbox/state")
    print(f"Oktopost sandbox ready at {handle.url}", flush=True)
    while not stop.wait(0.5):
        pass
    handle.stop()
    if config.state_path:
        print(f"State saved to {config.state_path}")
    print("Oktopost sandbox stopped", flush=True)


if __name__ == "__main__":
    main()
