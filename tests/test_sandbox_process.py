"""The sandbox as a program: CLI options, --state across restarts, and scale."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from oktopost.sandbox import start_in_thread
from tests.fixtures_sandbox import SandboxProcess, free_port


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    args = ["--posts", "120", "--seed", "3", "--state", str(state)]
    first = SandboxProcess(port=free_port(), args=args)
    first.start()
    try:
        draft = requests.get(
            f"{first.base_url}/post", params={"status": "draft"}, auth=first.auth, timeout=5
        ).json()["Items"][0]
        deleted = requests.delete(
            f"{first.base_url}/post/{draft['Id']}", auth=first.auth, timeout=5
        )
        assert deleted.status_code == 200
        first.control("POST", "clock", {"advance_seconds": 86400})
        before = first.control("GET", "state")
    finally:
        output = first.stop()
    assert "ready at" in output
    assert state.exists()

    second = SandboxProcess(port=free_port(), args=args)
    second.start()
    try:
        after = second.control("GET", "state")
        gone = requests.get(f"{second.base_url}/post/{draft['Id']}", auth=second.auth, timeout=5)
    finally:
        second.stop()
    assert gone.status_code == 404
    assert after["counts"]["posts"] == before["counts"]["posts"] == 119
    assert after["clock"]["offset_seconds"] == 86400
    assert after["counts"]["postlogs"] == before["counts"]["postlogs"]


def test_custom_credentials_replace_the_demo_pair() -> None:
    server = SandboxProcess(
        port=free_port(),
        args=["--posts", "30", "--account-id", "001000000000777", "--api-key", "k"],
        account_id="001000000000777",
        api_key="k",
    )
    server.start()
    try:
        me = requests.get(f"{server.base_url}/me", auth=server.auth, timeout=5)
        demo = requests.get(
            f"{server.base_url}/me", auth=("001000000000001", "sandbox-demo-key"), timeout=5
        )
        cred = requests.get(f"{server.base_url}/credential", auth=server.auth, timeout=5)
    finally:
        output = server.stop()
    assert me.json()["Account"]["Id"] == "001000000000777"
    assert demo.status_code == 401
    assert cred.json()["Items"][0]["Id"].startswith("003-001000000000777-")
    assert "001000000000777" in output
    assert "stopped" in output


@pytest.mark.slow
def test_100000_posts_load_and_list() -> None:
    # How fast is measured by bench/sync.py, not asserted here (timed tests flake).
    handle = start_in_thread(posts=100_000, seed=11)
    auth = (handle.sandbox.config.account_id, handle.sandbox.config.api_key)
    try:
        handle.sandbox.limiter.settings.enabled = False
        with requests.Session() as session:
            session.auth = auth
            for params in {
                "first page": {"_count": 100},
                "deep page": {"_count": 100, "_page": 500},
                "status": {"status": "complete", "_count": 100},
                "campaign+range": {
                    "campaignId": "002000000000001",
                    "_order": "startDateTime",
                    "after": "2000-01-01 00:00:00",
                    "_count": 100,
                },
                "message": {"messageId": "005000000000042"},
            }.values():
                response = session.get(f"{handle.url}/post", params=params, timeout=30)
                assert response.status_code == 200, response.text
                assert response.json()["Total"] > 0
    finally:
        handle.stop()
    assert len(handle.sandbox.world.posts) == 100_000
