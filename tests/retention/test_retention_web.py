"""A deleted recording's page says so, and its bytes answer 404, not an error."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi.testclient import TestClient

from sunlight.retention import service
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.support.auth import sign_in
from tests.support.evidence_data import add_recording


def test_deleted_recording_page_and_bytes(runtime: Runtime) -> None:
    rec = add_recording(runtime, recorded_at=datetime(2025, 1, 1, tzinfo=UTC))
    service.run(runtime, as_of=date(2025, 7, 1))
    assert service.run(runtime, as_of=date(2025, 8, 1)).to_delete
    with TestClient(create_app(runtime, start_worker=False)) as client:
        sign_in(client, runtime)
        page = client.get(f"/recordings/{rec}")
        assert page.status_code == 200
        assert "Deleted under the retention schedule" in page.text
        assert "retention.tombstone" in page.text
        assert client.get(f"/api/recordings/{rec}/original").status_code == 404
        assert client.get(f"/api/recordings/{rec}/retention").status_code == 404
        hold = client.post("/api/retention/holds", json={"recording_id": rec, "reason": "late"})
        assert hold.status_code == 422 and "already deleted" in hold.text
