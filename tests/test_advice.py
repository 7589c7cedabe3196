"""Tests of the patient-facing text and of the clinic config it takes every number from.

The test clinic uses distinctive names and numbers, so any text that still shows the demo
clinic's (or any hard-coded) number fails here.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from triage import (
    RULES,
    Clinic,
    ClinicConfigError,
    Decision,
    Findings,
    Level,
    assess,
    disclaimer,
    fallback_advice,
    load_clinic,
    render_advice,
)
from triage.examples import RULE_EXAMPLES

TRIAGE_DIR = Path(__file__).resolve().parent.parent / "triage"
REPO_CLINIC = Path(__file__).resolve().parent.parent / "clinic.yml"

CLINIC_YAML = textwrap.dedent("""\
    clinic_name: Testville Women's Clinic
    country: Testland
    emergency_number: "112"
    maternity_triage:
      name: Testville Birth Centre Triage
      phone: "0300 400 7001"
      hours: open 24 hours a day, every day
      address: Ward 9, Testville General
    early_pregnancy_unit:
      name: Testville EPAU
      phone: "0300 400 7002"
      hours: "weekdays 8am to 4pm"
    midwife_team:
      name: Testville Midwives
      phone: "0300 400 7003"
      hours: "weekdays 9am to 5pm"
    out_of_hours:
      name: Testland Health Line
      phone: "0300 400 7004"
    """)

EMERGENCY_ITEMS = (
    "soaking a pad in an hour or less",
    "clots",
    "does not come and go",
    "fainting or collapsing",
    "a fit",
    "feeling or seeing the cord",
    "something coming out of your vagina",
)
REASSURANCE = re.compile(
    r"nothing to worry|\bnormal\b|don't worry|do not worry|reassur|no need to"
    r"|(?<!mean )everything is fine|you are fine|you're fine|\bsafe to wait",
    re.IGNORECASE,
)


@pytest.fixture
def clinic_file(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.yml"
    path.write_text(CLINIC_YAML, encoding="utf-8")
    return path


@pytest.fixture
def clinic(clinic_file: Path) -> Clinic:
    return load_clinic(clinic_file)


def F(*present: str, weeks: float | None = None, contractions: str = "unknown", **kw) -> Findings:
    return Findings(
        present=frozenset(present), gestational_weeks=weeks, contractions=contractions, **kw
    )


# One decision per level, and the wording that says "by when" for that level.
BY_LEVEL = {
    Level.EMERGENCY: (F("cord_felt", weeks=30), ["Call 112 now."]),
    Level.URGENT: (
        F("vaginal_pressure", weeks=20, contractions="no"),
        [
            "Call Testville Birth Centre Triage on 0300 400 7001 now.",
            "come in straight away",
            "If nobody answers within 15 minutes, go straight to Ward 9, Testville General.",
            "Do not wait until later, or for your next appointment.",
            "If you get any of the signs below, call 112.",
        ],
    ),
    Level.SAME_DAY: (
        F("burning_urination", weeks=20),
        [
            "Call Testville Midwives on 0300 400 7003 today.",
            "Or see your GP today",
            "Testland Health Line on 0300 400 7004",
        ],
    ),
    Level.ROUTINE: (
        F(weeks=18, risk_factors=frozenset({"cerclage_in_place"})),
        ["at your next appointment", "within the next week", "0300 400 7003"],
    ),
    Level.SELF_CARE: (
        F(weeks=18),
        ["Watch out for these", "on 0300 400 7001 now if you get any of these"],
    ),
}


def test_examples_cover_every_level():
    assert {assess(f).level for f, _ in BY_LEVEL.values()} == set(Level)
    for level, (f, _) in BY_LEVEL.items():
        assert assess(f).level is level


@pytest.mark.parametrize("level", list(Level), ids=lambda lv: lv.value)
def test_advice_has_the_full_safety_net_for_every_level(level, clinic):
    findings, by_when = BY_LEVEL[level]
    text = render_advice(assess(findings), clinic)
    for wording in by_when:
        assert wording in text
    # (3) the emergency list, with the clinic's emergency number
    assert "Call 112 straight away if you have any of these:" in text
    for item in EMERGENCY_ITEMS:
        assert item in text
    # (4) always right to seek help, and the maternity triage number at any time; in an
    # emergency, the emergency number first (a frightened reader must not call the unit instead)
    assert "Testville Birth Centre Triage" in text and "0300 400 7001" in text
    if level is Level.EMERGENCY:
        assert text.rstrip().splitlines()[-2] == "Call 112 first."
    else:
        assert "it is always right to get help" in text
        assert "open 24 hours a day" in text
    # (1) uncertainty is said out loud
    assert "can't" in text


def test_every_concern_has_plain_words():
    from triage.advice import WHAT_MAY_BE_HAPPENING
    from triage.codes import CONCERNS

    assert set(WHAT_MAY_BE_HAPPENING) == set(CONCERNS)
    for rule in RULES:
        assert set(rule.concerns) <= set(CONCERNS)


def test_what_may_be_happening_for_cervical_insufficiency(clinic):
    text = render_advice(assess(F("back_pain", weeks=22, contractions="no")), clinic)
    assert (
        "This could be a sign that your cervix (the neck of the womb) is opening too early." in text
    )
    assert "without any contractions" in text
    assert "Having no contractions does not mean everything is fine." in text
    assert "I can't tell you for sure what is happening." in text


def test_emergency_leads_with_the_call(clinic):
    text = render_advice(assess(F("heavy_bleeding", "vaginal_pressure", weeks=20)), clinic)
    assert text.startswith("Call 112 now.")
    assert "cervix (the neck of the womb)" in text
    assert "Bleeding could be a sign" in text


@pytest.mark.parametrize("rule", [r for r in RULES if r.level >= Level.URGENT], ids=lambda r: r.id)
def test_no_reassurance_in_urgent_or_emergency_advice(rule, clinic):
    decision = assess(RULE_EXAMPLES[rule.id])
    assert decision.level >= Level.URGENT
    text = render_advice(decision, clinic)
    assert not REASSURANCE.search(text), REASSURANCE.search(text)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_advice_for_every_rule_is_plain_and_uses_only_the_clinic(rule, clinic):
    text = render_advice(assess(RULE_EXAMPLES[rule.id]), clinic)
    # No demo clinic details and no hard-coded UK numbers leak into another clinic's text.
    for leaked in ("Riverside", "01632", "999", "NHS 111"):
        assert leaked not in text
    # Plain text: no markdown, no internal codes such as "vaginal_pressure".
    for mark in ("*", "#", "`", "[", "](", "_"):
        assert mark not in text
    # Short sentences and lines for a phone screen.
    for line in text.splitlines():
        assert len(line) <= 110, line
    for sentence in re.split(r"(?<=[.!?:])\s+|\n", text):
        assert len(sentence.split()) <= 20, sentence


def test_same_day_early_pregnancy_goes_to_the_early_pregnancy_unit(clinic):
    text = render_advice(assess(F("bleeding", weeks=9)), clinic)
    assert "Call Testville EPAU on 0300 400 7002 today." in text
    assert "weekdays 8am to 4pm" in text
    # bleeding with one-sided or shoulder-tip pain or dizziness is an emergency (rule E6)
    assert "pain on one side or in your shoulder tip, with dizziness or fainting" in text


def test_same_day_labour_at_term_goes_to_maternity_triage(clinic):
    text = render_advice(assess(F("back_pain", weeks=38)), clinic)
    assert "Call Testville Birth Centre Triage on 0300 400 7001 today." in text
    assert "contractions that come regularly" in text


def test_routine_says_when_to_act_sooner(clinic):
    text = render_advice(assess(F("discharge_change", weeks=10)), clinic)
    assert "at your next appointment" in text
    assert "today if the discharge smells or itches" in text
    assert "Call Testville Birth Centre Triage on 0300 400 7001 now if you get" in text


def test_history_only_is_explained_not_called_a_sign(clinic):
    text = render_advice(assess(F(weeks=12, risk_factors=frozenset({"cervical_surgery"}))), clinic)
    assert "Your history means your cervix (the neck of the womb) could open too early" in text
    assert "does not mean everything is fine" in text
    assert "stitch" in text


def test_decision_from_payload_renders_the_same(clinic):
    decision = assess(F("fever", "bleeding", weeks=26))
    again = Decision.from_payload(decision.to_payload())
    assert render_advice(again, clinic) == render_advice(decision, clinic)


# -- disclaimer and fallback ----------------------------------------------------------------


def test_disclaimer(clinic):
    text = disclaimer(clinic)
    assert "Testville Women's Clinic" in text
    assert "not a doctor or midwife" in text and "can't diagnose" in text
    assert "do not replace your midwife or doctor" in text
    assert "If this is an emergency, call 112 now." in text
    assert "keep a record of this chat" in text
    assert "nurses and midwives at Testville Women's Clinic may read it later" in text
    # HZ-17: nobody calls back from the chat; the disclaimer must not suggest otherwise.
    assert "No one will contact you from this chat" in text


def test_fallback_advice(clinic):
    text = fallback_advice(clinic)
    assert "didn't understand" in text
    assert "in your own words" in text and "weeks pregnant" in text
    for item in EMERGENCY_ITEMS:
        assert item in text
    assert "Call 112 straight away" in text
    assert "0300 400 7001" in text
    assert "it is always right to get help" in text


# -- no hard-coding in the code -------------------------------------------------------------


def test_no_phone_number_or_clinic_name_in_the_code():
    demo = load_clinic(REPO_CLINIC)
    services = (
        demo.maternity_triage,
        demo.early_pregnancy_unit,
        demo.midwife_team,
        demo.out_of_hours,
    )
    needles = {
        demo.clinic_name,
        demo.emergency_number,
        *(s.phone for s in services),
        *(s.name for s in services),
    }
    for source in TRIAGE_DIR.glob("*.py"):
        code = source.read_text(encoding="utf-8")
        for needle in needles:
            assert needle not in code, f"{needle!r} is hard-coded in {source.name}"
        assert not re.search(r"\b\d{3}\s?\d{3}\s?\d{3,4}\b", code), source.name


# -- load_clinic ----------------------------------------------------------------------------


def test_load_clinic_reads_every_entry(clinic):
    assert clinic.clinic_name == "Testville Women's Clinic"
    assert clinic.country == "Testland"
    assert clinic.emergency_number == "112"
    assert clinic.maternity_triage.address == "Ward 9, Testville General"
    assert clinic.early_pregnancy_unit.phone == "0300 400 7002"
    assert clinic.midwife_team.hours == "weekdays 9am to 5pm"
    assert clinic.out_of_hours.hours is None


def test_load_clinic_default_is_the_repo_file(monkeypatch):
    monkeypatch.delenv("CLINIC_CONFIG", raising=False)
    assert load_clinic() == load_clinic(REPO_CLINIC)


def test_load_clinic_env_var(monkeypatch, clinic_file):
    monkeypatch.setenv("CLINIC_CONFIG", str(clinic_file))
    assert load_clinic().clinic_name == "Testville Women's Clinic"


REQUIRED = [
    ("clinic_name",),
    ("emergency_number",),
    ("maternity_triage",),
    ("maternity_triage", "phone"),
    ("maternity_triage", "name"),
    ("early_pregnancy_unit",),
    ("early_pregnancy_unit", "phone"),
    ("midwife_team",),
    ("midwife_team", "name"),
    ("out_of_hours",),
    ("out_of_hours", "phone"),
]


@pytest.mark.parametrize("path", REQUIRED, ids=lambda p: ".".join(p))
def test_load_clinic_errors_on_a_missing_key(tmp_path, path):
    import yaml

    data = yaml.safe_load(CLINIC_YAML)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    file = tmp_path / "clinic.yml"
    file.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ClinicConfigError, match=f"missing required key '{path[-1]}'"):
        load_clinic(file)


def test_load_clinic_rejects_an_unquoted_phone_number(tmp_path):
    file = tmp_path / "clinic.yml"
    file.write_text(CLINIC_YAML.replace('"112"', "112"), encoding="utf-8")
    with pytest.raises(ClinicConfigError, match="quotes"):
        load_clinic(file)


def test_load_clinic_errors_on_a_missing_file(tmp_path):
    with pytest.raises(ClinicConfigError, match="cannot read"):
        load_clinic(tmp_path / "nope.yml")


def test_clinic_is_frozen(clinic):
    with pytest.raises(AttributeError):
        clinic.emergency_number = "000"


# -- safety-netting that closes the loop (issue: triage on real patients' words) -------------

OPEN_CLINIC_YAML = (
    CLINIC_YAML.replace(
        '  hours: "weekdays 9am to 5pm"\n',
        '  hours: "weekdays 9am to 5pm"\n  open: {mon-fri: "09:00-17:00"}\n',
    )
    + "timezone: Europe/London\n"
)


@pytest.fixture
def open_clinic(tmp_path: Path) -> Clinic:
    path = tmp_path / "clinic.yml"
    path.write_text(OPEN_CLINIC_YAML, encoding="utf-8")
    return load_clinic(path)


def test_same_day_names_the_open_service_when_the_midwives_are_closed(open_clinic):
    from datetime import datetime, timezone

    decision = assess(F("burning_urination", weeks=20))
    saturday_night = datetime(2026, 12, 5, 23, 0, tzinfo=timezone.utc)
    tuesday_morning = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
    closed = render_advice(decision, open_clinic, now=saturday_night)
    assert closed.startswith("Testville Midwives is closed now.")
    assert "Call Testland Health Line on 0300 400 7004 today instead" in closed
    opened = render_advice(decision, open_clinic, now=tuesday_morning)
    assert opened.startswith("Call Testville Midwives on 0300 400 7003 today.")


def test_opening_hours_are_read_in_the_clinic_time_zone(open_clinic):
    from datetime import datetime, timezone

    midwives = open_clinic.midwife_team
    # 08:30 UTC in July is 09:30 in London (summer time): open.
    assert midwives.is_open(
        open_clinic.local_time(datetime(2026, 7, 7, 8, 30, tzinfo=timezone.utc))
    )
    assert not midwives.is_open(
        open_clinic.local_time(datetime(2026, 7, 7, 16, 30, tzinfo=timezone.utc))
    )
    assert open_clinic.maternity_triage.is_open(datetime(2026, 7, 7)) is None  # not structured


@pytest.mark.parametrize(
    "value,error",
    [
        ("{mon-fri: 9-5}", "is not like"),
        ("{funday: 09:00-17:00}", "unknown days"),
        ('{mon: "17:00-09:00"}', "ends before"),
    ],
)
def test_clinic_rejects_bad_opening_hours(tmp_path, value, error):
    path = tmp_path / "clinic.yml"
    path.write_text(
        CLINIC_YAML.replace(
            '  hours: "weekdays 9am to 5pm"\n', f'  hours: "weekdays 9am to 5pm"\n  open: {value}\n'
        )
    )
    with pytest.raises(ClinicConfigError, match=error):
        load_clinic(path)


def test_read_back_says_what_was_understood(clinic):
    findings = F("vaginal_pressure", "bleeding", weeks=20, contractions="no")
    text = render_advice(assess(findings), clinic, findings)
    assert (
        "You told me: 20 weeks pregnant, bleeding or spotting, pressure in the vagina, "
        "no contractions."
    ) in text
    assert "If that is wrong, tell me." in text
    # It comes after the advice: the first line is what to do.
    assert text.startswith("Call Testville Birth Centre Triage on 0300 400 7001 now.")


def test_a_stopped_symptom_is_read_back_and_still_checked(clinic):
    findings = Findings(resolved=frozenset({"bleeding"}), gestational_weeks=22, contractions="no")
    text = render_advice(assess(findings), clinic, findings)
    assert "bleeding or spotting (stopped now)" in text
    assert "Even though it has stopped, it still needs to be checked." in text


def test_provisional_advice_says_questions_follow_and_cannot_lower_it(clinic):
    text = render_advice(assess(F("fluid_leak")), clinic, provisional=True)
    assert "your answers can only make this more urgent, never less" in text
    assert text.startswith("Call Testville Birth Centre Triage on 0300 400 7001 now.")


def test_emergency_for_someone_else_is_worded_for_the_helper_with_first_aid(clinic):
    findings = F("fainting", weeks=25)
    text = render_advice(assess(findings), clinic, findings, on_behalf=True)
    assert text.startswith("Call 112 now.\nTell them she is pregnant")
    assert "lie her on her left side (the recovery position)" in text
    assert "Do not hold her down" in text
    assert "do not drive yourself" not in text.lower()


def test_cord_prolapse_gives_first_aid(clinic):
    text = render_advice(assess(F("cord_felt", weeks=34)), clinic)
    assert "knees and elbows with your bottom higher than your head" in text
    assert "Do not touch the cord or try to push it back." in text


def test_self_harm_gives_the_emergency_and_the_crisis_line(clinic_file, tmp_path):
    path = tmp_path / "crisis.yml"
    path.write_text(
        CLINIC_YAML + 'mental_health_crisis:\n  name: Testland Crisis Line\n'
        '  phone: "0300 400 7009"\n',
        encoding="utf-8",
    )
    place = load_clinic(path)
    text = render_advice(assess(F("self_harm", weeks=20)), place)
    assert text.startswith(
        "If you might act on these thoughts, or you have hurt yourself, call 112 now or go to A&E."
    )
    assert "call Testland Crisis Line on 0300 400 7009 today" in text


def test_abuse_gives_the_danger_line_and_the_helpline(tmp_path):
    path = tmp_path / "abuse.yml"
    path.write_text(
        CLINIC_YAML + 'domestic_abuse:\n  name: Testland Abuse Helpline\n'
        '  phone: "0800 400 7010"\n  hours: free, any time\n',
        encoding="utf-8",
    )
    text = render_advice(assess(F("abuse", weeks=20)), load_clinic(path))
    assert "If you are in danger now, call 112." in text
    assert "Testland Abuse Helpline on 0800 400 7010 (free, any time)" in text


def test_stitch_history_is_not_told_it_may_be_offered_a_stitch(clinic):
    findings = F(weeks=20, risk_factors=frozenset({"cerclage_in_place"}))
    text = render_advice(assess(findings), clinic, findings)
    assert "the stitch may need to come out" in text
    assert "offered" not in text


def test_interim_safety_net_names_the_triage_line_and_the_emergency_number(clinic):
    from triage import interim_safety_net

    line = interim_safety_net(clinic)
    assert "0300 400 7001 now" in line and "call 112" in line


def test_no_answer_text_says_same_day_for_seed_symptoms():
    """Review 3.2: the answer to "do you get contractions with CI?" said "the same day"."""
    text = (Path(__file__).resolve().parent.parent / "content" / "answers.yml").read_text()
    assert "same day" not in text.lower()


def test_a_scan_finding_without_symptoms_is_planned_with_the_team_not_an_emergency(clinic):
    """Issue: a short cervix or funnelling on a scan, no symptoms -> routine, plan with the
    team (ACOG PB 142: a short cervix alone is not the diagnosis)."""
    findings = F(weeks=21, risk_factors=frozenset({"short_cervix"}))
    decision = assess(findings)
    assert decision.level is Level.ROUTINE
    text = render_advice(decision, clinic, findings)
    assert "not a diagnosis on its own" in text and "plan your care" in text


@pytest.mark.parametrize(
    "weeks,words",
    [
        (20, "20 weeks pregnant"),
        (20 + 3 / 7, "20+3 weeks pregnant"),
        (27.9, "13 to 27 weeks pregnant"),
        (12.9, "under 13 weeks pregnant"),
        (41.1, "37 weeks or more pregnant"),
        (41.0, "41 weeks pregnant"),
    ],
)
def test_the_read_back_says_the_weeks_as_given(clinic, weeks, words):
    """A range button records its most cautious week; the read-back names the range, not
    "about 28 weeks" for someone who pressed "13 to 27 weeks" (HZ-06, HZ-18)."""
    findings = F("bleeding", weeks=weeks, contractions="no")
    assert f"You told me: {words}," in render_advice(assess(findings), clinic, findings)


def test_a_live_deployment_refuses_the_demo_numbers(monkeypatch):
    """HZ-12: the demo clinic.yml uses Ofcom's drama numbers, which reach nobody. With
    CLINIC_LIVE=1 the bot and the page refuse to start with them; the demo runs without it."""
    import dataclasses

    from triage.clinic import ClinicConfigError, check_live, fictional_numbers

    clinic = load_clinic()
    assert "maternity_triage: 01632 960 111" in fictional_numbers(clinic)
    monkeypatch.delenv("CLINIC_LIVE", raising=False)
    check_live(clinic)  # the demo
    monkeypatch.setenv("CLINIC_LIVE", "1")
    with pytest.raises(ClinicConfigError, match="maternity_triage: 01632 960 111"):
        check_live(clinic)
    real = dataclasses.replace(
        clinic,
        **{
            key: dataclasses.replace(getattr(clinic, key), phone="0300 123 4567")
            for key in (
                "maternity_triage",
                "early_pregnancy_unit",
                "midwife_team",
                "gynaecology_assessment_unit",
            )
        },
    )
    assert fictional_numbers(real) == []
    check_live(real)
    drama_mobile = dataclasses.replace(
        real, midwife_team=dataclasses.replace(real.midwife_team, phone="+44 7700 900 123")
    )
    assert fictional_numbers(drama_mobile) == ["midwife_team: +44 7700 900 123"]


def test_danger_now_calls_the_emergency_number_first_and_says_how_without_speaking(
    tmp_path, clinic
):
    place = _clinic_from(
        tmp_path,
        CLINIC_YAML + "silent_emergency_call: Stay on the line and tap the phone.\n"
        'domestic_abuse:\n  name: Testland Abuse Helpline\n  phone: "0800 400 7010"\n',
        "danger.yml",
    )
    decision = assess(F("abuse", "abuser_present", "abdominal_trauma", weeks=24))
    assert decision.level is Level.EMERGENCY and decision.rules[0] == "E12"
    text = render_advice(decision, place)
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines[0] == "Call 112 now, if you can do it safely."
    assert "Stay on the line and tap the phone." in text
    assert "Testland Abuse Helpline on 0800 400 7010" in text
    assert text.count("If you are in danger now") == 0  # said once, first, not again
    # without the clinic's silent-call line, nothing is made up
    plain = render_advice(decision, clinic)
    assert "tap the phone" not in plain and plain.startswith("Call 112 now")


def test_abuser_present_alone_is_the_helpline_not_an_emergency():
    decision = assess(F("abuser_present", weeks=24))
    assert decision.level is Level.SAME_DAY and "S9" in decision.rules


# -- the service by gestation (HZ-14) ------------------------------------------------------

ROUTED_YAML = CLINIC_YAML.replace(
    "  address: Ward 9, Testville General\n",
    "  address: Ward 9, Testville General\n  from_weeks: 16\n",
) + textwrap.dedent("""\
    gynaecology_assessment_unit:
      name: Testville Gynae Assessment
      phone: "0300 400 7005"
      open: {daily: 24h}
      address: Ward 3, Testville General
    """)


def _clinic_from(tmp_path, text, name="routed.yml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_clinic(path)


def test_urgent_before_maternity_triage_takes_calls_names_the_gynaecology_unit(tmp_path):
    clinic = _clinic_from(tmp_path, ROUTED_YAML)
    findings = F("fever", weeks=12)
    decision = assess(findings)
    assert decision.level is Level.URGENT
    text = render_advice(decision, clinic, findings)
    assert text.startswith("Call Testville Gynae Assessment on 0300 400 7005 now.")
    assert "go straight to Ward 3, Testville General" in text
    # from 16 weeks, maternity triage
    later = F("fever", weeks=16)
    assert render_advice(assess(later), clinic, later).startswith(
        "Call Testville Birth Centre Triage on 0300 400 7001 now."
    )
    # weeks unknown: maternity triage (the safe default; they redirect)
    unknown = F("fever")
    assert "0300 400 7001 now" in render_advice(assess(unknown), clinic, unknown)


def test_urgent_early_without_a_gynaecology_unit_uses_the_open_early_pregnancy_unit(tmp_path):
    text = ROUTED_YAML.split("gynaecology_assessment_unit:")[0].replace(
        '  hours: "weekdays 8am to 4pm"\n',
        '  hours: "weekdays 8am to 4pm"\n  open: {mon-fri: "08:00-16:00"}\n',
    )
    clinic = _clinic_from(tmp_path, text + 'timezone: "UTC"\n')
    from datetime import datetime, timezone

    findings = F("fever", weeks=12)
    decision = assess(findings)
    tuesday_noon = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    sunday_noon = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
    assert render_advice(decision, clinic, findings, now=tuesday_noon).startswith(
        "Call Testville EPAU on 0300 400 7002 now."
    )
    # closed: maternity triage all the same, never nobody
    assert render_advice(decision, clinic, findings, now=sunday_noon).startswith(
        "Call Testville Birth Centre Triage on 0300 400 7001 now."
    )


def test_same_day_pregnancy_concern_from_the_limit_goes_to_maternity_triage(tmp_path):
    clinic = _clinic_from(tmp_path, ROUTED_YAML)
    other = F("positional_pain", weeks=30)
    decision = assess(other)
    assert decision.level is Level.SAME_DAY
    assert render_advice(decision, clinic, other).startswith(
        "Call Testville Birth Centre Triage on 0300 400 7001 today."
    )
    # an infection stays with the midwife or GP
    thrush = F("itchy_discharge", "discharge_change", weeks=30)
    assert "Call Testville Midwives" in render_advice(assess(thrush), clinic, thrush)
    # without from_weeks in clinic.yml, nothing changes: the midwife team
    plain = _clinic_from(tmp_path, CLINIC_YAML, "plain.yml")
    assert "Call Testville Midwives" in render_advice(decision, plain, other)


def test_from_weeks_is_checked(tmp_path):
    from triage.clinic import ClinicConfigError

    bad = ROUTED_YAML.replace("from_weeks: 16", "from_weeks: sixteen")
    with pytest.raises(ClinicConfigError, match="from_weeks"):
        _clinic_from(tmp_path, bad)


def test_thoughts_of_self_harm_with_no_plan_get_the_crisis_line_now(clinic):
    findings = F("self_harm", "no_self_harm_plan", weeks=27)
    decision = assess(findings)
    assert decision.level is Level.URGENT and decision.rules[0] == "U24"
    text = render_advice(decision, clinic, findings)
    first = text.splitlines()[0]
    assert first.startswith("Call ") and "now and tell them you are pregnant." in first
    assert "call 112 or go to A&E" in text  # if that changes, the emergency number
    assert "maternity triage" not in first.lower()


def test_a_plan_always_wins_over_no_plan():
    for findings in (
        F("self_harm", "self_harm_plan", "no_self_harm_plan", weeks=20),
        F("self_harm", weeks=20),
    ):
        decision = assess(findings)
        assert decision.level is Level.EMERGENCY and decision.rules[0] == "E11"


def test_no_plan_alone_is_nothing_to_act_on():
    decision = assess(F("no_self_harm_plan", weeks=20))
    assert "X1" not in decision.rules and decision.level is not Level.SAME_DAY


def test_read_back_puts_a_qualifier_after_what_it_qualifies():
    from triage.advice import read_back

    lines = read_back(F("self_harm", "no_self_harm_plan", weeks=29))
    assert lines[0] == (
        "You told me: 29 weeks pregnant, thoughts of harming yourself, no plan to act on them."
    )


def test_urgent_early_never_names_an_early_pregnancy_unit_whose_hours_are_unknown(tmp_path):
    """Without ``open:`` hours the bot cannot tell the unit is open: maternity triage."""
    text = ROUTED_YAML.split("gynaecology_assessment_unit:")[0]
    clinic = _clinic_from(tmp_path, text)
    findings = F("fever", weeks=12)
    assert render_advice(assess(findings), clinic, findings).startswith(
        "Call Testville Birth Centre Triage on 0300 400 7001 now."
    )
