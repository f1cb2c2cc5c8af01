"""The data protection views, pure: the privacy notice, the access summary, the export log."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from governance.privacy import PrivacyNotice, chat_ref
from i18n import language
from services.privacy import ExportListing, MembershipLine, PersonalData
from storage.models import ExportRecord
from tests.viewdata import NOW, partnership, person
from views import privacy as view

NOTICE = PrivacyNotice(
    diarienummer="SOF 2025/144",
    partnership_name="Stöd <till> EU-medborgare",
    controller="Socialnämnden i Stockholms stad",
    controller_from_file=True,
    contact="Registrator & co",
    legal_basis="Allmänt intresse",
    departed_member_months=1,
    audit_months=24,
    delivered_reminder_days=90,
    processed_update_days=2,
)


def test_notice_names_controller_periods_rights_and_escapes_file_text() -> None:
    with language("sv"):
        text = view.notice_text([NOTICE])
        assert "Personuppgiftsansvarig: Socialnämnden i Stockholms stad" in text
        assert "Stöd &lt;till&gt; EU-medborgare" in text and "Registrator &amp; co" in text
        assert "raderas dina uppgifter efter 1 månad." in text  # singular
        assert "90 dagar" in text and "24 månader" in text
        assert "/mina_uppgifter" in text and "/glomma_mig" in text
        assert "allmänna handlingar" in text
        assert "Rättslig grund: Allmänt intresse" in text and "IMY" in text
        # What a dataskyddsombud asks for besides: the report's figures and the calendar address
        # among what is stored, Telegram as the carrier, and the rights beyond access and erasure.
        assert "verksamhetsrapporten" in text and "/kalender" in text
        assert "via Telegram" in text
        assert "rättat eller begränsat, eller invända mot behandlingen" in text
        assert "Inget partnerskap" in view.notice_text([])
        short = view.first_registration_text(NOTICE)
        assert "Socialnämnden i Stockholms stad" in short and "/integritet" in short
    with language("en"):
        text = view.notice_text([NOTICE])
        assert "/mydata" in text and "/forgetme" in text and "after 1 month." in text
        assert "/calendar" in text and "/kalender" not in text


def test_access_summary_lists_memberships_roles_and_counts() -> None:
    agneta = person(1, "Agneta", None, username="agneta_c", language_code="sv")
    data = PersonalData(
        person=agneta,
        sections={"memberships": [{}], "ballots": [{}, {}], "rsvps": []},
        labels={
            "memberships": "memberships",
            "ballots": "ballots cast",
            "rsvps": "answers to meeting invitations",
        },
        memberships=[MembershipLine("SOF 2025/144", "Styrgrupp", "Convictus", "confirmed")],
        chair_of=["Styrgrupp"],
        administrator_of=[],
    )
    with language("sv"):
        text = view.access_summary(data)
    assert "Agneta (@agneta_c)" in text
    assert "Språk: svenska" in text  # not the code "sv"
    assert "Styrgrupp (SOF 2025/144), Convictus: bekräftad" in text
    assert "Ordförande i: Styrgrupp" in text
    assert "avgivna röster: 2" in text and "svar på kallelser" not in text  # none: not listed
    assert "Administratör" not in text
    assert "/namn" not in text
    agneta.formal_name, agneta.formal_title = "Agneta Öberg", "verksamhetschef"
    with language("sv"):
        text = view.access_summary(data)
    assert "Namn i protokoll och kallelser (/namn): Agneta Öberg, verksamhetschef" in text


def test_export_log_says_when_who_where_and_what() -> None:
    record = ExportRecord(
        id=1,
        partnership_id=1,
        requested_by_person_id=1,
        requested_at=NOW,
        requested_in="group",
        status="sent",
        summary={"bytes": 20480, "protokoll_pdfs": 2},
    )
    erased = person(2, "Raderad ledamot", None, erased=True)
    listings = [
        ExportListing(partnership(), record, person(1, "Åsa", None)),
        ExportListing(partnership(), record, erased),
    ]
    with language("sv"):
        text = view.export_log_text(listings, ZoneInfo("Europe/Stockholm"))
        assert "2026-12-03 10.00 SOF 2025/144 av Åsa, beställd i en grupp: skickad privat" in text
        assert "(20 kB, 2 protokoll som PDF)" in text
        assert "av (raderad ledamot)" in text
        assert view.export_log_text([], ZoneInfo("Europe/Stockholm")) == "Inga exporter än."


def test_chat_ref_hides_private_chat_ids() -> None:
    assert chat_ref(-1001234) == "-1001234"
    assert chat_ref(5550001) == "(private)"
