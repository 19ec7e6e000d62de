"""The contract table of docs/oktopost.md ("Contract"), row by row, against the sandbox
process over HTTP: paths and verbs, required parameters, envelope keys, field types and id
prefixes. The table is the contract; this file only reads it (its grammar is explained
above the table)."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from oktopost.sandbox import media as files
from tests.fixtures_sandbox import FileSource, SandboxProcess

DOC = Path(__file__).resolve().parent.parent / "docs" / "oktopost.md"
DATE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
TOKEN = re.compile(r"`([^`]*)`")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# An id of the right shape that the world does not hold, per placeholder.
UNKNOWN_IDS = {
    "post": "004999999999999",
    "postlog": "007999999999999",
    "message": "005999999999999",
    "campaign": "002999999999999",
    "credential": "003-001000000000001-999",
    "user": "00A999999999999",
    "team": "0TM999999999999",
    "tag": "0AF999999999999",
    "media": "026999999999999",
    "video": "026999999999999",
    "upload": "027999999999999",
    "workflow": "cwf999999999999",
    "workflow_item": "cwi999999999999",
}
TYPES: dict[str, Any] = {
    "str": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "num": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "list": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "date": lambda v: isinstance(v, str) and bool(DATE.match(v)),
    "null": lambda v: v is None,
}


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    send: tuple[tuple[str, str], ...]
    required: tuple[str, ...]
    envelope: tuple[str, ...]
    fields: tuple[str, ...]
    ids: tuple[str, ...]

    @property
    def name(self) -> str:
        extra = "?" + "&".join(k for k, _ in self.send) if self.send else ""
        return f"{self.method} {self.path}{extra}"


def contract_rows() -> list[Row]:
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("## Contract") :].split("\n| Call |", 1)[1]
    rows = []
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        call, send, required, envelope, fields, ids = (TOKEN.findall(c) for c in cells)
        method, path = call[0].split(" ", 1)
        rows.append(
            Row(
                method=method,
                path=path,
                send=tuple(tuple(t.split("=", 1)) for t in send),  # type: ignore[misc]
                required=tuple(required),
                envelope=tuple(envelope),
                fields=tuple(fields),
                ids=tuple(ids),
            )
        )
    return rows


ROWS = contract_rows()


@pytest.fixture(scope="module")
def world(sandbox_server: SandboxProcess) -> SandboxProcess:
    """The session sandbox, reset once; every row's objects exist in every reset world
    (generated ids do not change) or are made by the row itself."""
    sandbox_server.control("POST", "reset")
    return sandbox_server


@pytest.fixture
def api(world: SandboxProcess, pinned_now) -> Iterator[Api]:
    if pinned_now:
        # Under the date matrix the sandbox's world and clock start at the test's instant,
        # as the rows' dates ({today}, {month_ago}) do.
        world.control("POST", "reset", {"now": time.time()})
    # Other modules' tests share this process: no faults, limits or denials left over.
    world.control("POST", "faults", {})
    world.control("POST", "limits", {"enabled": False})
    world.control("POST", "deny", {"endpoints": {}})
    world.control("POST", "options", {"upload_delay": 0})
    calls = Api(world)
    yield calls
    if calls.source is not None:
        calls.source.close()


class Api:
    """Calls /v2 and fills the table's placeholders, making objects when a row asks."""

    def __init__(self, sandbox: SandboxProcess) -> None:
        self.sandbox = sandbox
        # Serves the MP4 for {video}; started only when a row needs it.
        self.source: FileSource | None = None
        self.made: dict[str, str] = {}

    def call(self, method: str, path: str, params: dict[str, str]) -> requests.Response:
        where = "params" if method == "GET" else "data"
        return requests.request(
            method,
            self.sandbox.base_url + path,
            auth=self.sandbox.auth,
            timeout=15,
            **{where: params},
        )

    def ok(self, method: str, path: str, **params: str) -> dict[str, Any]:
        response = self.call(method, path, params)
        assert response.status_code == 200, response.text
        return response.json()

    def fill(self, text: str) -> str:
        return PLACEHOLDER.sub(lambda m: self.value(m.group(1)), text)

    def value(self, name: str) -> str:
        if name not in self.made:
            self.made[name] = self.make(name)
        return self.made[name]

    def make(self, name: str) -> str:
        now = int(time.time())
        today = datetime.now(UTC).date()
        if name == "unique":
            return f"contract {uuid.uuid4().hex[:10]}"
        if name in ("today", "month_ago", "month_ahead"):
            shift = {"today": 0, "month_ago": -30, "month_ahead": 30}[name]
            return (today + timedelta(days=shift)).isoformat()
        if name in ("past_ts", "future_ts"):
            return str(now - 40 * 86_400 if name == "past_ts" else now + 86_400)
        if name == "post":
            items = self.ok("GET", "/post", status="complete", _count="25")["Items"]
            return items[0]["Id"]
        if name == "postlog":
            return self.ok("GET", "/postlog", postId=self.value("post"))["Postlogs"][0]["Id"]
        if name == "credential":
            items = self.ok("GET", "/credential", network="Twitter")["Items"]
            return items[0]["Id"]
        if name == "campaign":
            items = self.ok("GET", "/campaign", _order="created,1", withTags="1")["Items"]
            return next(c["Id"] for c in items if c["Tags"])
        if name == "message":
            for campaign in self.ok("GET", "/campaign")["Items"]:
                found = self.ok(
                    "GET", "/message", campaignId=campaign["Id"], network="Twitter", _count="100"
                )["Items"]
                if found:
                    return found[0]["Id"]
            raise AssertionError("no Twitter message in the world")
        if name in ("user", "team", "tag"):
            return self.ok("GET", f"/{name}")["Items"][0]["Id"]
        if name == "media":
            return self.ok("GET", "/media", type="Image")["Items"][0]["Id"]
        if name == "image_url":
            return self.ok("GET", f"/media/{self.value('media')}")["Media"]["Resource"]
        if name == "event":
            return self.ok("GET", "/calendar/custom-events")["Items"][0]["ID"]
        if name == "new_post":
            post = self.ok(
                "POST",
                "/post",
                messageId=self.value("message"),
                credentialIds=self.value("credential"),
                startDateTime=self.value("future_ts"),
                status="draft",
            )
            return post["Post"]["Id"]
        if name == "workflow":
            return self.ok("GET", "/workflow")["Items"][0]["Id"]
        if name in ("workflow_item", "noted_item"):
            items = self.ok("GET", "/workflow-item", count="1000")["Items"]
            wanted = "rejected" if name == "noted_item" else "pending"
            return next(i["Id"] for i in items if i["Status"] == wanted)
        if name == "new_item":
            made = self.ok(
                "POST",
                "/workflow-item",
                entityId=self.value("new_post"),
                workflowId=self.value("workflow"),
            )
            return made["Data"]["Id"]
        if name == "new_message":
            created = self.ok(
                "POST",
                "/message",
                network="LinkedIn",
                campaignId=self.value("campaign"),
                message=self.value("unique"),
                linkUrl="https://northwind.example/contract",
            )
            return created["Message"]["Id"]
        if name == "new_campaign":
            return self.ok("POST", "/campaign", name=self.value("unique"))["Campaign"]["Id"]
        if name == "new_tag":
            return self.ok("POST", "/tag", tag=self.value("unique"))["Tag"]["Id"]
        if name == "new_event":
            created = self.ok(
                "POST",
                "/calendar/custom-events",
                title=self.value("unique"),
                startDate=self.value("future_ts"),
            )
            return created["Item"]["ID"]
        if name == "new_webhook":
            created = self.ok(
                "POST",
                "/webhook",
                event="postCreated",
                url="http://127.0.0.1:9/contract",
                name=self.value("unique"),
                isEnabled="0",
            )
            return created["Webhook"]["Id"]
        if name == "new_media":
            return self.ok("POST", "/media", resource=self.value("image_url"))["Media"]["Id"]
        if name == "upload":
            return self.ok("POST", "/upload", source=self.value("image_url"))["Upload"]["Id"]
        if name == "upload_source":
            return self.ok("GET", f"/upload/{self.value('upload')}")["Upload"]["Source"]
        if name == "video":
            self.source = self.source or FileSource()
            source = self.source.add("/clip.mp4", files.mp4(12.5), "video/mp4")
            upload = self.ok("POST", "/upload", source=source)["Upload"]
            return self.settled(upload["Id"])
        raise AssertionError(f"the contract table uses an unknown placeholder {{{name}}}")

    def settled(self, upload_id: str) -> str:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            upload = self.ok("GET", f"/upload/{upload_id}")["Upload"]
            if upload["Status"] == "complete":
                return upload["MediaId"]
            assert upload["Status"] == "pending", upload
            time.sleep(0.02)
        raise AssertionError(f"upload {upload_id} did not complete")

    def params(self, row: Row, *, leave_out: str = "") -> dict[str, str]:
        return {key: self.fill(value) for key, value in row.send if key != leave_out}


def walk(value: Any, steps: list[str], *, top: bool = True) -> Iterator[tuple[Any, str]]:
    """(parent, key) of every place a field path reaches in an answer."""
    step, rest = steps[0], steps[1:]
    name, each = step.removesuffix("[]"), step.endswith("[]")
    children: list[Any]
    if name == "*":
        assert isinstance(value, dict), f"expected a map, got {value!r}"
        assert value or not top, "the map is empty: the row proves nothing"
        children = list(value.values())
    else:
        assert isinstance(value, dict), f"expected an object holding {name}, got {value!r}"
        if not rest and not each:
            yield value, name
            return
        assert name in value, f"{name} is missing"
        children = [value[name]]
    if each:
        assert isinstance(children[0], list), f"{name} should be a list"
        assert children[0] or not top, f"{name} is empty: the row proves nothing"
        children = list(children[0])
        if not rest:
            for index in range(len(children)):
                yield children, index  # type: ignore[misc]
            return
    for child in children:
        yield from walk(child, rest, top=top and name != "*" and not each)


def check_field(body: dict[str, Any], spec: str) -> None:
    path, kind = spec.rsplit(":", 1)
    optional = path.endswith("?")
    steps = path.removesuffix("?").split(".")
    for parent, key in walk(body, steps):
        if isinstance(parent, dict) and key not in parent:
            assert optional, f"{path} is missing"
            continue
        value = parent[key]
        assert any(TYPES[k](value) for k in kind.split("|")), f"{path} = {value!r}, not {kind}"


def check_id(body: dict[str, Any], spec: str) -> None:
    path, prefix = spec.rsplit(":", 1)
    for parent, key in walk(body, path.split(".")):
        value = parent[key]
        assert isinstance(value, str), f"{path} = {value!r} is not a string id"
        assert value.startswith(prefix), f"{path} = {value!r} does not start with {prefix}"
        if not prefix.endswith("-"):
            assert len(value) == 15, f"{path} = {value!r} is not 15 characters"


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_the_call_answers_as_the_contract_says(api: Api, row: Row) -> None:
    response = api.call(row.method, api.fill(row.path), api.params(row))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["Result"] is True
    keys = {spec.split(":")[0] for spec in row.envelope}
    required = {key for key in keys if not key.endswith("?")}
    optional = {key.removesuffix("?") for key in keys - required}
    assert required <= set(body) - {"Result"} <= required | optional
    for spec in row.envelope:
        check_field(body, spec)
    for spec in row.fields:
        check_field(body, spec)
    for spec in row.ids:
        check_id(body, spec)


REQUIRED = [(row, name) for row in ROWS for name in row.required]


@pytest.mark.parametrize(
    ("row", "missing"), REQUIRED, ids=[f"{row.name} without {name}" for row, name in REQUIRED]
)
def test_a_missing_required_parameter_is_named_with_a_readable_text(
    api: Api, row: Row, missing: str
) -> None:
    response = api.call(row.method, api.fill(row.path), api.params(row, leave_out=missing))

    assert response.status_code == 400, response.text
    errors = response.json()["Errors"]
    assert response.json()["Result"] is False
    assert isinstance(errors[missing]["Error"], str) and errors[missing]["Error"]
    # The SDK shows Errors.API.Error only (src/http/errors.ts).
    assert errors[missing]["Error"] in errors["API"]["Error"]


WITH_IDS = [
    (row, name)
    for row in ROWS
    if row.method == "GET"
    for name in PLACEHOLDER.findall(row.path)
    if name in UNKNOWN_IDS
]


@pytest.mark.parametrize(("row", "placeholder"), WITH_IDS, ids=[row.path for row, _ in WITH_IDS])
def test_an_unknown_id_answers_404_naming_the_object(api: Api, row: Row, placeholder: str) -> None:
    path = row.path.replace(f"{{{placeholder}}}", UNKNOWN_IDS[placeholder])

    response = api.call("GET", api.fill(path), api.params(row))

    assert response.status_code == 404, response.text
    assert response.json()["Result"] is False
    assert "not found" in response.json()["Errors"]["API"]["Error"]


PATHS = sorted({row.path for row in ROWS})


@pytest.mark.parametrize("path", PATHS)
def test_an_unknown_route_answers_404_without_a_text(api: Api, path: str) -> None:
    filled = PLACEHOLDER.sub("004000000000001", path)
    head, _, tail = filled.lstrip("/").partition("/")
    wrong_verb = api.call("PATCH", filled, {})
    wrong_path = api.call("GET", f"/{head}-nothing/{tail}".rstrip("/"), {})

    for response in (wrong_verb, wrong_path):
        assert response.status_code == 404
        assert response.json() == {"Result": False, "Errors": []}


def test_the_table_covers_every_route_the_sandbox_serves() -> None:
    from oktopost.sandbox.api import ROUTES

    served = {f"{method} /{template}" for method, template, _ in ROUTES} | {"POST /media"}
    documented = {f"{row.method} {PLACEHOLDER.sub('{id}', row.path)}" for row in ROWS}

    assert served == documented
