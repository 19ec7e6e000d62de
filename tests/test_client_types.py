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
    split_errors,
)
from oktopost.types import (
    Calendar,
    CalendarEvent,
    Campaign,
    Click,
    Credential,
    FollowerPoint,
    Me,
    Message,
    Post,
    Postlog,
    PostStats,
    Tag,
    User,
    VideoCheck,
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


# -------------------------------------------------------------- issue 25: SDK shapes


def test_a_video_check_reads_the_sdks_per_network_shape() -> None:
    check = VideoCheck.from_api(
        {
            "Result": True,
            "Validations": {
                "Facebook": {"isValid": True, "errors": []},
                "Twitter": {"isValid": False, "errors": ["Video too long"]},
            },
        },
        call="GET /video-validate/{id}",
    )

    assert check.valid and check.valid_for("Facebook") and not check.valid_for("Twitter")
    assert not check.valid_for("LinkedIn")  # no verdict is no
    assert check.reasons == ("Twitter: Video too long",) and check.duration is None


def test_a_video_check_still_reads_the_flat_shape_and_no_verdict_is_invalid() -> None:
    flat = VideoCheck.from_api(
        {"isValid": False, "errors": ["too big"], "Duration": 3}, call="GET /video-validate"
    )
    empty = VideoCheck.from_api({"Result": True, "Validations": []}, call="GET /video-validate")

    assert (flat.valid, flat.reasons, flat.duration, flat.networks) == (False, ("too big",), 3, {})
    assert not flat.valid_for("Twitter")
    assert not empty.valid and empty.reasons
    with pytest.raises(SchemaError, match="isValid"):
        VideoCheck.from_api({"Validations": {"Twitter": {"errors": []}}}, call="x")


def test_users_read_both_the_list_item_and_the_full_record() -> None:
    item = User.from_api(
        {
            "Id": "00A000000000002",
            "Name": "Marco Ibáñez",
            "Email": "m@x",
            "LastLogin": "2030-01-01 00:00:00",
            "Role": "publisher",
            "Timezone": "Europe/Madrid",
        },
        call="GET /user",
    )
    full = User.from_api(
        {
            "Id": "00A000000000002",
            "FirstName": "Marco",
            "LastName": "Ibáñez",
            "Status": "active",
            "Created": "2029-01-01 00:00:00",
            "Modified": "0000-00-00 00:00:00",
            "Timezone": "Europe/Madrid",
        },
        call="GET /user/{id}",
    )

    assert (item.role, item.timezone, item.first_name) == ("publisher", "Europe/Madrid", "")
    assert (full.name, full.role, full.status) == ("Marco Ibáñez", "", "active")
    assert full.modified is None
    assert full.created == datetime(2029, 1, 1, tzinfo=UTC)


def test_send_summary_is_a_string_even_when_sent_as_a_number() -> None:
    base = {"Id": "002000000000001", "Name": "C"}

    assert Campaign.from_api(base | {"SendSummary": "1"}, call="x").send_summary == "1"
    assert Campaign.from_api(base | {"SendSummary": 0}, call="x").send_summary == "0"
    assert Campaign.from_api(base | {"Tags": ["0AF000000000001"]}, call="x").tag_ids == (
        "0AF000000000001",
    )


def test_tags_notes_followers_clicks_and_the_calendar_parse() -> None:
    tag = Tag.from_api(
        {"Id": "0AF000000000001", "Created": "2030-01-01 00:00:00", "Tag": "launch"}, call="x"
    )
    note = CalendarEvent.from_api(
        {
            "ID": "0CE000000000001",
            "Title": "Launch",
            "StartDateTime": "2030-01-02 09:00:00",
            "EndDateTime": "0000-00-00 00:00:00",
            "Campaigns": [{"Id": "002000000000001", "Name": "Q3"}],
        },
        call="x",
    )
    point = FollowerPoint.from_api(
        {"Followers": "120", "FollowersAdded": -2, "HistoryDate": "2030-01-02 00:00:00"},
        call="x",
        where="Data[0]",
    )
    click = Click.from_api(
        {"Id": "009000000100001", "ConversionTagId": None, "ConvertedDate": "0000-00-00 00:00:00"},
        call="x",
    )
    calendar = Calendar.from_api(
        {
            "Result": True,
            "Campaigns": [],
            "Posts": {"004000000000001": {"Id": "004000000000001", "CredentialIds": ["003-1"]}},
            "CustomEvents": [],
        },
        call="POST /calendar",
    )

    assert (tag.name, tag.last_used) == ("launch", None)
    assert note.end_at is None and note.campaign_ids == ("002000000000001",)
    assert (point.followers, point.added, point.day.isoformat()) == (120, -2, "2030-01-02")
    assert click.converted is None
    assert calendar.campaigns == {} and calendar.posts[0].credential_ids == ("003-1",)


def test_a_validation_summary_is_kept_apart_from_the_fields() -> None:
    both = {"API": {"Error": "a. b."}, "messageId": {"Error": "a."}, "status": {"Error": "b."}}

    assert split_errors(both) == ({"messageId": "a.", "status": "b."}, "a. b.")
    assert split_errors({"API": {"Error": "Post not found"}}) == (
        {"API": "Post not found"},
        "Post not found",
    )
    assert split_errors([]) == ({}, "")
    assert flatten_errors({"Param": {"get": "Missing value for parameter postId"}}) == {
        "Param": "Missing value for parameter postId"
    }
