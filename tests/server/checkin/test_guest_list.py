"""Guest lists: a CSV becomes complimentary tickets, previewed, all or nothing, and never twice."""

from __future__ import annotations

import sqlalchemy as sa

from server.bookings.models import Ticket

GOOD = """external_ref,given_name,family_name,email,notes,accessibility_needs
vip-1,Ada,Lovelace,ada@example.com,front row,wheelchair;hearing loop
vip-2,Grace,Hopper,,,
"""


def post(client, org, doors, text, dry_run=False):
    return client.post(
        f"/api/v1/occurrences/{doors.occurrence_id}/guest-list",
        params={"dry_run": dry_run},
        content=text,
        headers={**org.headers, "Content-Type": "text/csv"},
    )


def tickets(db) -> int:
    with db() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Ticket)) or 0


def test_a_dry_run_previews_and_writes_nothing(client, org, doors, db) -> None:
    response = post(client, org, doors, GOOD, dry_run=True)

    assert response.status_code == 200, response.text
    assert [row["external_ref"] for row in response.json()["created"]] == ["vip-1", "vip-2"]
    assert tickets(db) == 0


def test_an_import_issues_complimentary_tickets_and_a_second_import_adds_nothing(client, org, doors, db) -> None:
    first = post(client, org, doors, GOOD)
    again = post(client, org, doors, GOOD)

    assert first.status_code == 200, first.text
    assert len(first.json()["created"]) == 2
    assert (again.json()["created"], len(again.json()["skipped"])) == ([], 2)
    listing = client.get(f"/api/v1/occurrences/{doors.occurrence_id}/check-in/attendees", headers=org.headers).json()
    ada = next(row for row in listing if row["given_name"] == "Ada")
    assert ada["status"] == "confirmed"
    assert ada["notes"] == ["Accessibility: wheelchair", "Accessibility: hearing loop", "front row"]
    assert tickets(db) == 2


def test_row_errors_name_line_and_field_and_nothing_is_written(client, org, doors, db) -> None:
    bad = GOOD + "vip-3,,Nobody,,,\nvip-1,Again,,not-an-email,,\n"

    response = post(client, org, doors, bad)

    assert response.status_code == 422
    errors = {(e["line"], e["field"]) for e in response.json()["errors"]}
    assert errors == {(4, "given_name"), (5, "external_ref"), (5, "email")}
    assert tickets(db) == 0


def test_a_list_larger_than_the_seats_left_imports_nothing(client, org, doors, db) -> None:
    rows = "".join(f"g-{i},Guest{i},,,,\n" for i in range(25))  # 20 seats

    response = post(client, org, doors, "external_ref,given_name,family_name,email,notes,accessibility_needs\n" + rows)

    assert response.status_code == 409
    assert response.json()["line"] == 22
    assert tickets(db) == 0


def test_the_attendee_list_exports_as_csv(client, org, doors) -> None:
    post(client, org, doors, GOOD)

    response = client.get(
        f"/api/v1/occurrences/{doors.occurrence_id}/check-in/attendees", params={"format": "csv"}, headers=org.headers
    )

    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0].startswith("ticket_id,confirmation_code,status")
    assert len(lines) == 3
