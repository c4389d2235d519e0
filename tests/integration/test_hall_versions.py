"""Catalogue versioning (issue 8, hall side): every version ever served is kept, an application
stores the version it was submitted under, and a late submission under an older version is
accepted and checked against that version's form."""
from __future__ import annotations

import shutil
import uuid

import pytest
import requests
from sqlalchemy import select

from hall import db as hall_db
from hall.embedded import EmbeddedHall
from kiosk.domain.catalogue import CatalogError
from tests.integration.conftest import CATALOG_DIR, HWGG, RunningHall, SAMPLE_ID_NUMBER

TIMEOUT = 10


@pytest.fixture
def versioned_hall(tmp_path):
    """A hall serving a copy of the catalogue the test may edit, then reload."""
    catalog = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, catalog)
    server = EmbeddedHall(tmp_path / "hall", catalog)
    token = server.enrol_terminal("T-V", "版本测试终端", "一楼")
    base = server.start()
    yield RunningHall(server, "T-V", token, base), catalog / "hwgg-szsp.toml"
    server.stop()


def bump_hwgg(path, new_version: int) -> None:
    """Version 2 of 户外广告设施设置审批: a new required field `lighting`, `period` choices changed."""
    text = path.read_text("utf-8")
    assert "version = 1\n" in text
    text = text.replace("version = 1\n", f"version = {new_version}\n", 1)
    text += '''
[[form]]
name = "lighting"
label = "是否设置夜间照明"
type = "choice"
choices = ["是", "否"]
required = true
'''
    path.write_text(text, "utf-8")


def submit(hall, body):
    return requests.post(f"{hall.base_url}/api/v1/applications", json=body, timeout=TIMEOUT,
                         headers={**hall.headers, "Idempotency-Key": uuid.uuid4().hex})


def reload(hall):
    # What `reload catalogue` in the console does; tested through the console in test_hall_console.
    hall.server.app.state.catalog.load()


def test_a_served_version_is_recorded(versioned_hall):
    hall, _ = versioned_hall
    d = hall_db.Database(hall.server.database_url)
    with d.session() as s:
        rows = {(r.code, r.version) for r in s.scalars(select(hall_db.MatterVersion))}
        assert (HWGG, 1) in rows and len(rows) == 31
    d.dispose()


def test_old_version_accepted_and_checked_against_its_own_form(versioned_hall):
    hall, path = versioned_hall
    old_body = hall.sample_application().to_json()               # filled against version 1
    bump_hwgg(path, 2)
    reload(hall)
    catalog = requests.get(f"{hall.base_url}/api/v1/catalog", headers=hall.headers, timeout=TIMEOUT).json()
    served = next(m for m in catalog["matters"] if m["code"] == HWGG)
    assert served["version"] == 2 and any(f["name"] == "lighting" for f in served["form"])

    # The outbox delivers a version-1 application after the update: accepted, as version 1.
    r = submit(hall, old_body)
    assert r.status_code == 201, r.text
    assert r.json()["matter_version"] == 1
    no = r.json()["application_no"]
    progress = requests.get(f"{hall.base_url}/api/v1/applications/{no}", params={"id_number": SAMPLE_ID_NUMBER},
                            headers=hall.headers, timeout=TIMEOUT).json()
    assert progress["matter_version"] == 1

    # …checked against version 1's form: v2's new field is unknown there, v1's rules still apply.
    with_new_field = {**old_body, "fields": {**old_body["fields"], "lighting": "是"}}
    r = submit(hall, with_new_field)
    assert r.status_code == 422 and any("lighting" in e for e in r.json()["errors"])
    missing = {**old_body, "fields": {k: v for k, v in old_body["fields"].items() if k != "site_address"}}
    assert submit(hall, missing).status_code == 422

    # Version 2 needs its new field.
    v2 = {**old_body, "matter_version": 2}
    r = submit(hall, v2)
    assert r.status_code == 422 and r.json()["errors"]
    r = submit(hall, {**v2, "fields": {**old_body["fields"], "lighting": "否"}})
    assert r.status_code == 201 and r.json()["matter_version"] == 2

    # A version never served is refused, naming the versions that were.
    r = submit(hall, {**old_body, "matter_version": 3})
    assert r.status_code == 422 and "[1, 2]" in r.json()["detail"]

    d = hall_db.Database(hall.server.database_url)
    with d.session() as s:
        versions = sorted(r.matter_version for r in s.scalars(select(hall_db.ApplicationRecord)))
        assert versions == [1, 2]
    d.dispose()


def test_old_versions_survive_a_restart(versioned_hall):
    hall, path = versioned_hall
    old_body = hall.sample_application().to_json()
    bump_hwgg(path, 2)
    hall.stop()
    hall.start()                                  # the hall now starts on version 2 only
    assert submit(hall, old_body).status_code == 201


def test_changed_content_under_the_same_version_is_refused(versioned_hall):
    hall, path = versioned_hall
    path.write_text(path.read_text("utf-8").replace('name = "户外广告设施设置审批"', 'name = "户外广告设施设置审批（改）"'), "utf-8")
    with pytest.raises(CatalogError) as e:
        reload(hall)
    assert e.value.key == "version" and "hwgg-szsp.toml" in str(e.value) and "raise version to 2" in str(e.value)
    # The hall keeps serving what it served before.
    catalog = requests.get(f"{hall.base_url}/api/v1/catalog", headers=hall.headers, timeout=TIMEOUT).json()
    assert next(m for m in catalog["matters"] if m["code"] == HWGG)["name"] == "户外广告设施设置审批"
    hall.stop()
    with pytest.raises(CatalogError):
        hall.start()


def test_a_withdrawn_matter_still_takes_late_submissions(versioned_hall):
    hall, path = versioned_hall
    body = hall.sample_application().to_json()
    path.unlink()
    reload(hall)
    catalog = requests.get(f"{hall.base_url}/api/v1/catalog", headers=hall.headers, timeout=TIMEOUT).json()
    assert HWGG not in {m["code"] for m in catalog["matters"]}
    assert submit(hall, body).status_code == 201
