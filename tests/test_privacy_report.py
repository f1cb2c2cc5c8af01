"""Erasure reaches the activity report: a member who filled in and submitted her activity's
figures (her name typed into the free text, the compiled files sent) erases her data with
/glomma_mig; then nothing in the database, in the administrator's export or in the logs names
her, and the report's figures are still there. Through the fake Bot API and a real database."""

from __future__ import annotations

import io
import json
import logging
import zipfile

import pytest
from sqlmodel import select

from services.partnerships import set_administrator
from storage.db import transaction
from storage.models import Person
from storage.reports import ActivityReport, EntryState, ReportEntry
from tests.fakebot import FakeChat
from tests.privacy_scan import traces_in_database, traces_in_json
from tests.test_report_flow import (  # noqa: F401  (env is a fixture)
    ADMIN,
    BF_SVG,
    SM,
    Env,
    answer,
    choose,
    env,
    join,
    link,
    payload_of,
    status_links,
)

SARA_NAMES = {"Sara", "sara_sm"}
SARA_IDS = {SM.id}


@pytest.mark.slow
async def test_an_erased_member_leaves_no_trace_in_the_report_the_export_or_the_logs(
    env: Env,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    e = env
    caplog.set_level(logging.INFO)  # the default LOG_LEVEL
    await link(e, BF_SVG, "/koppla SOF 2023/202 samverkansgrupp")
    await join(e, BF_SVG, SM, "Street Minds")
    status = (await e.say(SM, BF_SVG, "/rapport"))[-1]
    (url,) = status_links(status).values()
    await e.say(SM, FakeChat.private(SM), f"/start {payload_of(url)}")
    await answer(e, SM, "80")
    await answer(e, SM, "20 58 2")
    await answer(e, SM, "2")
    await choose(e, SM, "t:treatment")
    await answer(e, SM, "2")
    await choose(e, SM, "done")
    await answer(e, SM, "Sara och kollegorna gick uppsök två kvällar i veckan.")
    await choose(e, SM, "submit")  # the only activity: the report is compiled and posted
    with transaction(e.services.session_factory) as s:
        sara = s.exec(select(Person).where(Person.telegram_user_id == SM.id)).one()
        entry = s.exec(select(ReportEntry)).one()
        assert entry.state == EntryState.SUBMITTED and entry.submitted_by_person_id == sara.id
        before = traces_in_database(s, names=SARA_NAMES, ids=SARA_IDS)
    # Her authorship and her words are there before the erasure.
    assert {t.table for t in before} >= {"person", "report_entry", "activity_report"}, before

    question = (await e.say(SM, BF_SVG, "/glomma_mig"))[-1]
    (data,) = question.button_data()
    await e.press(SM, BF_SVG, question, data)

    with transaction(e.services.session_factory) as s:
        assert [str(t) for t in traces_in_database(s, names=SARA_NAMES, ids=SARA_IDS)] == []
        # The figures stay (they are the activity's, not hers); the author is a pseudonym.
        entry = s.exec(select(ReportEntry)).one()
        assert entry.figures is not None and entry.figures["total"] == 80
        assert "Raderad ledamot och kollegorna" in str(entry.figures["needs"])
        assert entry.submitted_by_person_id == sara.id
        erased = s.get(Person, sara.id)
        assert erased is not None and erased.erased and erased.telegram_user_id < 0
        report = s.exec(select(ActivityReport)).one()
        assert "Raderad ledamot och kollegorna" in json.dumps(
            report.compilation, ensure_ascii=False
        )

    # The administrator's export holds nothing of her either.
    with transaction(e.services.session_factory) as s:
        set_administrator(s, "SOF 2023/202", ADMIN.id, add=True)
    await e.say(ADMIN, FakeChat.private(ADMIN), "/start")
    await e.say(ADMIN, FakeChat.private(ADMIN), "/export SOF 2023/202")
    (zipped,) = [m for m in e.fake.messages_in(ADMIN.id) if m.document_name]
    archive = zipfile.ZipFile(io.BytesIO(zipped.document_bytes or b""))
    exported = json.loads(archive.read("partnership.json"))
    assert exported["report_entries"] and exported["activity_reports"]
    assert traces_in_json(exported, names=SARA_NAMES, ids=SARA_IDS) == []

    # And no log line (at the default level, INFO) named her: not her name, username or Telegram id.
    logged = "\n".join(
        record.getMessage() + " " + str(record.args or "") for record in caplog.records
    )
    assert logged, "nothing was logged: the check would prove nothing"
    for trace in (*SARA_NAMES, str(SM.id)):
        assert trace not in logged, trace
