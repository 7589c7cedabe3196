"""clinic.yml's follow_up_due (issue 12, item 2): parsed and validated at load, due times."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from triage.clinic import ClinicConfigError, FollowUpDue, clinic_from_dict, load_clinic

LONDON = ZoneInfo("Europe/London")


def _clinic(**extra):
    base = load_clinic()
    data = {
        "clinic_name": base.clinic_name,
        "emergency_number": base.emergency_number,
        "timezone": "Europe/London",
        **{
            key: {"name": "x", "phone": "01632 960 000"}
            for key in ("maternity_triage", "early_pregnancy_unit", "midwife_team", "out_of_hours")
        },
        **extra,
    }
    return clinic_from_dict(data, "test.yml")


def at(year: int, month: int, day: int, hour: int, minute: int) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON).timestamp()


def test_the_repository_clinic_sets_due_times_for_the_urgent_levels():
    due = load_clinic().follow_up_due
    assert due.due_at("emergency", 1000.0, "UTC") == 1000.0 + 15 * 60
    assert due.due_at("urgent", 1000.0, "UTC") == 1000.0 + 3600
    assert "same_day" in due.end_of_day


def test_durations_and_end_of_day():
    due = _clinic(
        follow_up_due={
            "emergency": "15m",
            "urgent": "1h",
            "same_day": "end_of_day",
            "routine": "2d",
        },
        follow_up_day_ends="17:30",
    ).follow_up_due
    assert due.due_at("routine", 0.0, "UTC") == 2 * 86400
    assert due.due_at("self_care", 0.0, "UTC") is None  # not listed: no due time
    assert due.due_at(None, 0.0, "UTC") is None
    # before the day ends: today at 17:30; after: tomorrow at 17:30 (clinic time)
    assert due.due_at("same_day", at(2026, 12, 1, 9, 0), "Europe/London") == at(2026, 12, 1, 17, 30)
    assert due.due_at("same_day", at(2026, 12, 1, 18, 0), "Europe/London") == at(
        2026, 12, 2, 17, 30
    )
    # across the clocks going forward (29 March 2026): still 17:30 on the wall clock
    assert due.due_at("same_day", at(2026, 3, 28, 20, 0), "Europe/London") == at(
        2026, 3, 29, 17, 30
    )
    assert due.describe("same_day") == "by the end of the day (17:30)"
    assert due.describe("urgent") == "within 1 hour"
    assert due.describe("routine") == "within 2 days"
    assert due.describe("emergency") == "within 15 minutes"
    assert due.describe("self_care") == "no due time"


def test_no_setting_means_no_due_times():
    assert _clinic().follow_up_due == FollowUpDue()
    # end of day by default: midnight
    due = _clinic(follow_up_due={"same_day": "end_of_day"}).follow_up_due
    assert due.due_at("same_day", at(2026, 12, 1, 23, 0), "Europe/London") == at(2026, 12, 2, 0, 0)


@pytest.mark.parametrize(
    "value, message",
    [
        ({"urgnet": "1h"}, "unknown level 'urgnet'"),
        ({"urgent": "soon"}, "'soon' is not a time like 15m"),
        ({"urgent": 60}, "'60' is not a time like 15m"),
        ({"urgent": True}, "is not a time like 15m"),
        ({"urgent": "0m"}, "between 1m and 30d"),
        ({"urgent": "31d"}, "between 1m and 30d"),
        (["urgent", "1h"], "must map levels to times"),
    ],
)
def test_an_invalid_follow_up_due_names_the_entry(value, message):
    with pytest.raises(ClinicConfigError, match="follow_up_due") as error:
        _clinic(follow_up_due=value)
    assert message in str(error.value)


@pytest.mark.parametrize("value", ["5pm", "25:00", "00:00", 1700])
def test_an_invalid_day_end_is_refused(value):
    with pytest.raises(ClinicConfigError, match="follow_up_day_ends"):
        _clinic(follow_up_day_ends=value)


def test_the_console_reads_only_the_follow_up_entries(tmp_path):
    """The console starts without the rest of clinic.yml, but not with a wrong due time."""
    from triage.clinic import load_follow_up_due

    path = tmp_path / "clinic.yml"
    assert load_follow_up_due(path) == FollowUpDue()  # missing
    path.write_text("clinic_name: X\nfollow_up_due: {urgent: 2h}\n")
    assert load_follow_up_due(path).due_at("urgent", 0.0, "UTC") == 7200
    path.write_text("clinic_name: X\nfollow_up_due: {urgent: soonish}\n")
    with pytest.raises(ClinicConfigError, match="soonish"):
        load_follow_up_due(path)
    path.write_text("not: [valid")
    assert load_follow_up_due(path) == FollowUpDue()
