"""One small example of findings per rule row: a patient for whom that rule fires.

Each is chosen so that no more urgent rule fires too, so the decision's level is the rule's
own level. The tests check every row against its example; the evaluation and the action tests
can reuse them as minimal vignettes, and a reviewer can read them next to the rule table.
"""

from __future__ import annotations

from typing import Any

from .findings import Findings


def F(
    *present: str, weeks: float | None = None, contractions: str = "unknown", **kw: Any
) -> Findings:
    """Short-hand: F("bleeding", weeks=20, contractions="no")."""
    return Findings(
        present=frozenset(present), gestational_weeks=weeks, contractions=contractions, **kw
    )


RULE_EXAMPLES: dict[str, Findings] = {
    "E1": F("bleeding", weeks=20, contractions="no", bleeding_amount="heavy"),
    "E2": F("severe_constant_pain", weeks=20, contractions="no"),
    "E3": F("fainting", weeks=10),
    "E3b": F("seizure", weeks=25),
    "E4": F("cord_felt", weeks=34),
    "E5": F("membranes_felt", weeks=22),
    "E6": F("bleeding", "shoulder_tip_pain", weeks=8),
    "E7": F("unspecified_red_flag", weeks=20),
    "E8": F("bleeding", "dizziness", weeks=20, contractions="no"),
    "E9": F("chest_pain", weeks=30),
    "E10": F("confusion", "fever", weeks=24),
    "E11": F("self_harm", weeks=20),
    "E12": F("abuse", "abuser_present", weeks=24),
    "E13": F("anaphylaxis", weeks=18),
    "E14": F("stroke_signs", weeks=32),
    "SC2": F("common_complaint", weeks=30),
    "R5": F("rectal_bleeding", weeks=30),
    "R3": F(weeks=13, risk_factors=frozenset({"multiple_pregnancy"})),
    "R4": F(weeks=41.5),
    "U1": F("back_pain", weeks=20, contractions="no"),
    "U2": F("abdominal_pain", weeks=20, contractions="unknown"),
    "U2b": F("discharge_change", weeks=None, contractions="no"),
    "U3": F("contractions", weeks=30),
    "U4": F("contractions", weeks=39),
    "U5": F("fluid_leak", weeks=30, contractions="no"),
    "U6": F("bleeding", weeks=30, contractions="no", bleeding_amount="light"),
    "U7": F("vaginal_pressure", weeks=20, contractions="yes"),
    "U7b": F("vaginal_pressure", weeks=30, contractions="no"),
    "U8": F("mucus_plug", weeks=30, contractions="no"),
    "U9": F("reduced_movements", weeks=30),
    "U9c": F("reduced_movements", weeks=12),
    "U10": F("visual_disturbance", weeks=32),
    "U10b": F("headache", weeks=12),
    "U11": F("fever", weeks=12),
    "U12": F("itching", weeks=30),
    "U13": F("smelly_discharge", weeks=20),
    "U13b": F("smelly_discharge", weeks=10),
    "U14": F("discharge_change", weeks=30, contractions="no"),
    "U15": F("back_pain", weeks=30, contractions="declined"),
    "U16": F("back_pain", weeks=29, contractions="no"),
    "U17": F("bleeding", weeks=12, risk_factors=frozenset({"cerclage_in_place"})),
    "U18": F("stitch_problem", weeks=20),
    "U19": F("abdominal_pain", weeks=12.5, risk_factors=frozenset({"previous_midtrimester_loss"})),
    "U20": F(
        "abdominal_pain",
        weeks=32,
        contractions="no",
        risk_factors=frozenset({"multiple_pregnancy"}),
    ),
    "U21": F("period_type_pain", "abdominal_pain", weeks=33, contractions="no"),
    "U22": F("calf_pain", weeks=26),
    "U23": F("abdominal_trauma", weeks=26),
    "U24": F("self_harm", "no_self_harm_plan", weeks=27),
    "X2": F("unwell", weeks=20),
    "S1": F("burning_urination", weeks=20),
    "S2": F("bleeding", weeks=10, bleeding_amount="spotting"),
    "S3": F("abdominal_pain", weeks=10),
    "S4": F("abdominal_pain", weeks=30, contractions="no"),
    "S5": F("back_pain", weeks=38, contractions="no"),
    "S6": F("mucus_plug", weeks=10),
    "S7": F("positional_pain", weeks=22),
    "S8": F("vomiting", weeks=9),
    "S9": F("abuse", weeks=20),
    "S10": F("abdominal_trauma", weeks=10),
    "R1": F("discharge_change", weeks=10),
    "R2": F(weeks=12, risk_factors=frozenset({"cervical_surgery"})),
    "SC1": F(weeks=20),
    "X1": F("dizziness", weeks=20),
}
