"""The new-post form helps: the network follows the ticked profiles, the campaign says
why it is needed and starts from a sensible one, and a failed send sums up its errors at
the button and focuses the first (the page works the same without JavaScript)."""

import secrets
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from posts import forms
from posts.models import Submission
from tests import factories as f
from tests.html_nodes import Node, parse

pytestmark = pytest.mark.django_db


def chosen_campaign(page: Node) -> str:
    select = page.find(lambda n: n.tag == "select" and n.get("name") == "campaign")
    return select.find(lambda n: n.tag == "option" and "selected" in n.attrs)["value"]


def focused(page: Node) -> list[str]:
    form = page.by_id("post-form")
    return [n.get("name") or n["id"] for n in form.find_all(lambda n: "autofocus" in n.attrs)]


def form_data(**overrides) -> dict:
    when = timezone.localtime(timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    return {
        "source": "new",
        "network": "",
        "campaign": "",
        "text": "Hello",
        "profiles": [],
        "when": when,
        "status": "pending",
        "submit_key": secrets.token_urlsafe(12),
        **overrides,
    }


def test_the_network_is_taken_from_the_ticked_profiles(editor) -> None:
    camp = f.campaign()
    page = f.profile("LinkedIn", "Acme page")
    form = forms.PostCreateForm(
        form_data(campaign=camp.oktopost_id, profiles=[page.oktopost_id]),
        zone=editor.zone,
        user=editor,
    )
    assert form.is_valid(), form.errors
    assert form.service_kwargs()["network"] == "LinkedIn"


def test_profiles_of_two_networks_without_a_network_say_which_networks(editor) -> None:
    camp = f.campaign()
    ids = [f.profile("LinkedIn").oktopost_id, f.profile("Twitter").oktopost_id]
    form = forms.PostCreateForm(
        form_data(campaign=camp.oktopost_id, profiles=ids), zone=editor.zone, user=editor
    )
    assert not form.is_valid()
    assert "The ticked profiles are on LinkedIn and Twitter" in form.errors["network"][0]


def test_the_campaign_says_why_it_is_needed(editor_client: Client) -> None:
    f.campaign("Launch")
    f.campaign("Autumn")
    html = editor_client.get("/posts/new/").content.decode()
    assert "Oktopost files every message under a campaign" in html
    response = editor_client.post("/posts/new/", form_data(network="LinkedIn"))
    assert (
        "Oktopost files every message under one" in response.context["form"].errors["campaign"][0]
    )


def test_the_only_campaign_is_chosen_already(editor_client: Client) -> None:
    camp = f.campaign("Launch")
    page = parse(editor_client.get("/posts/new/").content)
    assert chosen_campaign(page) == camp.oktopost_id


def test_the_campaign_of_the_editors_last_message_is_chosen_already(
    editor, editor_client: Client
) -> None:
    f.campaign("Launch")
    autumn = f.campaign("Autumn")
    msg = f.message("Last week's", camp=autumn)
    Submission.objects.create(user=editor, key="k1", message_oktopost_id=msg.oktopost_id)
    page = parse(editor_client.get("/posts/new/").content)
    assert chosen_campaign(page) == autumn.oktopost_id


def test_a_failed_send_sums_up_its_errors_at_the_button_and_focuses_the_first(
    editor_client: Client,
) -> None:
    f.campaign("Launch")
    f.campaign("Autumn")
    f.profile("LinkedIn", "Acme page")
    response = editor_client.post("/posts/new/", form_data(text="", when=""))
    assert response.status_code == 200
    page = parse(response.content)
    summary = page.by_id("form-summary")
    # Right before the button, so it is on screen where the button was pressed.
    after = summary.following_siblings()[0]
    assert (after.tag, after["type"]) == ("button", "submit")
    lines = [li.text() for li in summary.find_all(lambda n: n.tag == "li")]
    links = summary.find_all(lambda n: n.tag == "a")
    assert "5 things to fix" in summary.text()
    assert lines[0].startswith("Network : Pick the network")
    assert [a["href"] for a in links] == [
        "#id_network",
        "#id_campaign",
        "#id_text",
        "#id_profiles",
        "#id_when",
    ]
    # Every link leads somewhere, and only the first field in error takes the focus.
    for link in links:
        assert page.by_id(link["href"][1:]) is not None
    assert focused(page) == ["network"]
    assert page.by_id("id_text")["aria-invalid"] == "true"


def test_a_profiles_only_error_focuses_the_profiles(editor_client: Client) -> None:
    camp = f.campaign("Launch")
    response = editor_client.post(
        "/posts/new/", form_data(network="LinkedIn", campaign=camp.oktopost_id)
    )
    assert focused(parse(response.content)) == ["id_profiles"]


def test_a_form_shown_fresh_has_no_summary_and_no_focus(editor_client: Client) -> None:
    page = parse(editor_client.get("/posts/new/").content)
    assert page.by_id("form-summary") is None
    assert focused(page) == []
