"""Parsing Oktopost objects into typed dataclasses (pure functions, no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from oktopost.errors import (
    AmbiguousWriteError,
    OktopostError,
    RetryableError,
    SchemaError,
    flatten_errors,
)
from oktopost.types import (
    Campaign,
    Credential,
    Me,
    Message,
    Post,
    Postlog,
    PostStats,
    format_datetime,
    parse_datetime,
)

# The example object from Oktopost's Posts page (/work/shared/seeds), plus one unknown field.
DOC_POST: dict[str, Any] = {
    "Id": "004000000000000",
    "Created": "2015-12-07 23:47:30",
    "Modified": "2015-12-08 12:55:11",
    "Status": "inqueue",
    "AccountId": "001000000000000",
    "CreatedBy": "00A000000000000",
    "ModifiedBy": "00A000000000000",
    "Source": "API",
    "ContentSource": "User",
    "Queued": 1,
    "CampaignId": "002000000000000",
    "MessageId": "005000000000000",
    "MessageChildId": "",
    "MessageStatus": "default",
    "Network": "Twitter",
    "StartDateTime": "2015-12-08 00:00:00",
    "Groups": "",
    "GroupsCount": 0,
    "TotalCount": 1,
    "TargetGeo": "",
    "UpdateStatus": 1,
    "Flag": "discussion",
    "Clicks": 0,
    "Converts": 0,
    "Comments": 0,
    "NewComments": 0,
    "Likes": 0,
    "Utm": "",
    "Credentials": "003-001000000000000-12345678",
    "SomethingNew": {"nested": True},
}


def test_it_parses_the_documented_post() -> None:
    post = Post.from_api(DOC_POST, call="GET /post/{id}")

    assert post.id == "004000000000000"
    assert post.created == datetime(2015, 12, 7, 23, 47, 30, tzinfo=UTC)
    assert post.start_at == datetime(2015, 12, 8, tzinfo=UTC)
    assert post.queued is True
    assert post.credential_ids == ("003-001000000000000-12345678",)
    assert post.raw["SomethingNew"] == {"nested": True}
    assert post.stats is None


def test_it_splits_a_comma_separated_credentials_string() -> None:
    post = Post.from_api(DOC_POST | {"Credentials": "003-1-1, 003-1-2,"}, call="c")

    assert post.credential_ids == ("003-1-1", "003-1-2")


def test_zero_and_empty_dates_become_none() -> None:
    post = Post.from_api(
        DOC_POST | {"StartDateTime": "0000-00-00 00:00:00", "Modified": ""}, call="c"
    )

    assert post.start_at is None
    assert post.modified is None


def test_numbers_sent_as_strings_are_accepted() -> None:
    post = Post.from_api(DOC_POST | {"Clicks": "12", "Queued": "0", "Likes": 3.0}, call="c")

    assert (post.clicks, post.queued, post.likes) == (12, False, 3)


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("Clicks", "abc", "should be an integer"),
        ("Clicks", 1.5, "should be an integer"),
        ("Created", "07/12/2015", "should be a 'YYYY-MM-DD"),
        ("Queued", 2, "should be 0 or 1"),
        ("Status", ["inqueue"], "should be a string"),
    ],
)
def test_a_wrong_type_names_the_call_and_field(field: str, value: Any, problem: str) -> None:
    with pytest.raises(SchemaError) as excinfo:
        Post.from_api(DOC_POST | {field: value}, call="GET /post", where="Items[3]")

    assert excinfo.value.field == f"Items[3].{field}"
    assert excinfo.value.call == "GET /post"
    assert excinfo.value.permanent
    assert f"GET /post: field Items[3].{field} {problem}" in str(excinfo.value)


def test_a_missing_required_field_names_the_field() -> None:
    raw = {key: value for key, value in DOC_POST.items() if key != "Id"}

    with pytest.raises(SchemaError, match=r"GET /post/\{id\}: field Post.Id is missing"):
        Post.from_api(raw, call="GET /post/{id}")


def test_an_object_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(SchemaError, match="Items\\[0\\] is list"):
        Post.from_api([], call="GET /post", where="Items[0]")


def test_stats_keep_minus_one_as_not_available() -> None:
    stats = PostStats.from_api(
        {"LinkClicks": 3, "Conversions": "1", "Comments": 0, "Likes": -1, "Shares": 2}, call="c"
    )

    assert (stats.link_clicks, stats.conversions, stats.likes) == (3, 1, None)
    assert stats.impressions_added is None


def test_it_parses_a_message_with_media_and_tags() -> None:
    message = Message.from_api(
        {
            "Id": "005000000000001",
            "Network": "LinkedIn",
            "Message": "Hello",
            "LinkUrl": "https://example.com",
            "IsBoardMessage": "0",
            "Media": [{"Id": "026000000000001", "Type": "Image"}],
            "Tags": ["0AF000000000001"],
        },
        call="c",
    )

    assert message.text == "Hello"
    assert message.media_ids == ("026000000000001",)
    assert message.tags == ("0AF000000000001",)
    assert message.is_board_message is False


def test_it_parses_campaign_zero_dates_credentials_postlogs_and_me() -> None:
    campaign = Campaign.from_api(
        {"Id": "002", "Name": "Launch", "StartDate": "0000-00-00 00:00:00", "TotalPosts": "4"},
        call="c",
    )
    credential = Credential.from_api(
        {"Id": "003-1-2", "Network": "Twitter", "Status": "invalid", "NativePostsEnabled": 1},
        call="c",
    )
    postlog = Postlog.from_api(
        {"Id": "007", "PostId": "004", "Status": "failed", "LinkIds": ["0081"], "Error": "x"},
        call="c",
    )
    me = Me.from_api(
        {
            "Result": True,
            "User": {"Id": "00A1", "Name": "A", "LastLogin": "2024-01-02 03:04:05"},
            "Account": {"Id": "0011", "Name": "Acme"},
        },
        call="GET /me",
    )

    assert campaign.start_date is None and campaign.total_posts == 4
    assert not credential.is_valid and credential.native_posts_enabled
    assert postlog.link_ids == ("0081",) and postlog.error == "x"
    assert me.last_login == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert me.account_name == "Acme"


def test_format_datetime_converts_to_utc_and_refuses_naive_values() -> None:
    paris = timezone(timedelta(hours=2))

    assert format_datetime(datetime(2017, 7, 1, 2, 0, tzinfo=paris)) == "2017-07-01 00:00:00"
    with pytest.raises(ValueError, match="naive"):
        format_datetime(datetime(2017, 7, 1))


def test_parse_datetime_round_trips() -> None:
    moment = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)

    assert parse_datetime(format_datetime(moment)) == moment


def test_errors_flatten_both_shapes() -> None:
    assert flatten_errors({"API": {"Error": "Campaign not found"}}) == {"API": "Campaign not found"}
    assert flatten_errors([]) == {}
    assert flatten_errors({"messageId": "bad"}) == {"messageId": "bad"}
    assert flatten_errors(None) == {}


def test_an_error_reads_well() -> None:
    error = OktopostError(
        "Bad Request", call="POST /post", status=400, messages={"messageId": "required"}
    )

    assert str(error) == "POST /post -> HTTP 400: Bad Request; messageId: required"


def test_an_ambiguous_write_is_not_retryable() -> None:
    error = AmbiguousWriteError("lost", call="POST /post")

    assert not isinstance(error, RetryableError)
    assert error.permanent
