"""Thin rasa_sdk actions: read the tracker, call the pure triage core (triage/), utter the result.

Clinical logic never lives here; see triage/ for the rules and the advice wording, and
actions/slot_updates.py for how a message updates the findings.
"""
