"""Captions on the web: the staff API and page (permissions, refusals with reasons, the
draft button as a background job), and the public captions file, transcript page and
JSON, which answer 404 until the release is published and its captions approved."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sunlight.captions import service
from sunlight.captions.vtt import parse_vtt
from sunlight.portal.pages import templates as portal_templates
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.captions.support import clip_recording, redacted_copy
from tests.portal.support import decide
from tests.support.auth import sign_in, sign_out

VTT = "WEBVTT\n\n00:00:00.500 --> 00:00:02.000\nUnit twelve &amp; unit nine &lt;on scene&gt;\n"
PROBE = "tests.captions.test_captions_service:make_probe"


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, start_worker=False)) as test_client:
        yield test_client


def test_staff_api_saves_approves_and_drafts(
    runtime: Runtime, client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rec = clip_recording(runtime, tmp_path)
    base = f"/api/captions/recordings/{rec}"
    assert client.get(base).status_code == 401
    sign_in(client, runtime, roles=("officer",))
    assert client.post(f"{base}/versions", json={"vtt": VTT}).status_code in (403, 404)
    sign_out(client)
    sign_in(client, runtime, roles=("records-custodian",))

    bad = client.post(f"{base}/versions", json={"vtt": VTT.replace("&lt;on scene&gt;", "<b>x</b>")})
    assert bad.status_code == 422 and "markup" in bad.json()["detail"]
    late = client.post(
        f"{base}/versions", json={"cues": [{"start_s": 1, "end_s": 99, "text": "late"}]}
    )
    assert late.status_code == 422 and "after the recording's end" in late.json()["detail"]
    both = client.post(f"{base}/versions", json={"vtt": VTT, "cues": []})
    assert both.status_code == 422

    saved = client.post(f"{base}/versions", json={"vtt": VTT, "note": "typed"})
    assert saved.status_code == 201, saved.text
    assert saved.json()["version"] == 1 and saved.json()["source"] == "import"
    assert saved.json()["cues"][0]["text"] == "Unit twelve & unit nine <on scene>"
    vtt = client.get(f"{base}/captions.vtt")
    assert vtt.headers["content-type"].startswith("text/vtt")
    assert "Unit twelve &amp; unit nine &lt;on scene&gt;" in vtt.text
    assert parse_vtt(vtt.text) == parse_vtt(VTT)

    stale = client.post(f"{base}/approve", json={"version": 2})
    assert stale.status_code == 404
    approved = client.post(f"{base}/approve", json={"version": 1})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"

    monkeypatch.setenv("SUNLIGHT_SPEECH_BACKEND", PROBE)
    job = client.post(f"{base}/draft", json={})
    assert job.status_code == 202, job.text
    assert job.json()["status"] == "done"  # eager worker mode runs it inline
    assert job.json()["recogniser"] == "probe None"
    assert client.get(f"/api/captions/jobs/{job.json()['id']}").json()["cues"] == 4
    listed = client.get(base).json()
    assert listed["tracks"][0]["status"] == "draft"  # the draft is newer than the approval
    assert listed["tracks"][0]["approved_version"] == 1
    versions = client.get(f"{base}/versions").json()
    assert [v["source"] for v in versions] == ["recogniser", "import"]
    assert client.get(f"{base}/versions/1").json()["note"] == "typed"


def test_staff_page_edits_with_the_text_kept_on_refusal(
    runtime: Runtime, client: TestClient, tmp_path: Path
) -> None:
    _, copy = redacted_copy(runtime, tmp_path, [(1.0, 2.0)])
    sign_in(client, runtime, roles=("records-custodian",))
    page = client.get(f"/recordings/{copy}/captions")
    assert page.status_code == 200 and "No captions yet." in page.text
    assert "1.0–2.0 s" in page.text  # the muted stretch is shown
    over = "WEBVTT\n\n00:00:01.500 --> 00:00:02.500\nthe muted name\n"
    refused = client.post(f"/recordings/{copy}/captions", data={"vtt": over})
    assert refused.status_code == 422
    assert "muted by redaction" in refused.text and "the muted name" in refused.text
    good = "WEBVTT\n\n00:00:02.000 --> 00:00:03.000\nafter\n"
    saved = client.post(f"/recordings/{copy}/captions", data={"vtt": good}, follow_redirects=False)
    assert saved.status_code == 303
    shown = client.get(f"/recordings/{copy}/captions").text
    assert 'id="track-status">draft' in shown and "[00:00:02] after" in shown
    done = client.post(
        f"/recordings/{copy}/captions/approve", data={"version": "1"}, follow_redirects=False
    )
    assert done.status_code == 303
    assert 'id="track-status">approved' in client.get(f"/recordings/{copy}/captions").text


def test_public_captions_only_once_published_and_approved(
    runtime: Runtime, client: TestClient
) -> None:
    embargoed = decide(runtime, client, cad="KC26-000811", embargo_until="2099-01-01T00:00:00Z")
    published = decide(runtime, client, cad="KC26-000812")
    urls = (
        "/public/releases/{}/captions.vtt",
        "/public/releases/{}/transcript",
        "/api/public/releases/{}/transcript",
    )
    # a release is decided only with approved captions (the release policy): the published
    # one shows them at once; the embargoed one shows nothing
    for url in urls:
        assert client.get(url.format(embargoed.release_id)).status_code == 404
    first = client.get(f"/public/releases/{published.release_id}/captions.vtt")
    assert first.status_code == 200 and parse_vtt(first.text)[0].text == "[No speech]"
    sign_in(client, runtime, roles=("records-custodian",))
    for release in (embargoed, published):
        base = f"/api/captions/recordings/{release.derived_id}"
        assert client.post(f"{base}/versions", json={"vtt": VTT}).status_code == 201
        # a newer draft is not public until it is approved
        still = client.get(f"/public/releases/{published.release_id}/captions.vtt")
        assert parse_vtt(still.text)[0].text == "[No speech]"
        assert client.post(f"{base}/approve", json={"version": 2}).status_code == 200
    sign_out(client)
    for url in urls:  # approved, but the embargo has not lifted
        assert client.get(url.format(embargoed.release_id)).status_code == 404
    for url in urls:
        assert client.get(url.format(999_999)).status_code == 404

    rid = published.release_id
    vtt = client.get(f"/public/releases/{rid}/captions.vtt")
    assert vtt.status_code == 200 and vtt.headers["content-type"].startswith("text/vtt")
    assert vtt.headers["content-language"] == "en"
    assert parse_vtt(vtt.text)[0].text == "Unit twelve & unit nine <on scene>"
    page = client.get(f"/public/releases/{rid}/transcript")
    assert page.status_code == 200
    assert "Unit twelve &amp; unit nine &lt;on scene&gt;" in page.text  # escaped, not markup
    assert "Signed in as" not in page.text and "<script" not in page.text
    body = client.get(f"/api/public/releases/{rid}/transcript").json()
    assert body["lines"] == [
        {
            "start_s": 0.5,
            "end_s": 2.0,
            "at": "00:00:00",
            "text": "Unit twelve & unit nine <on scene>",
        }
    ]
    assert "created_by" not in str(body) and "user:" not in str(body)

    # The release page's partials: a <track> in the player and the transcript after it.
    shown = service.public_captions(runtime, rid)  # (NotFound without approved captions)
    release = {"id": rid}
    track = portal_templates.env.get_template("public_captions_track.html").render(
        captions=shown, release=release
    )
    assert '<track kind="captions"' in track and 'srclang="en"' in track
    assert f'src="/public/releases/{rid}/captions.vtt"' in track and "default" in track
    details = portal_templates.env.get_template("public_captions_transcript.html").render(
        captions=shown, release=release
    )
    assert "<details" in details and "00:00:00" in details
    none = portal_templates.env.get_template("public_captions_track.html").render(
        captions=None, release=release
    )
    assert "<track" not in none
    assert client.get(f"/public/releases/{rid}").status_code == 200
