"""``python -m triage`` prints the rule table for docs/triage-rules.md (generated, never typed)."""

from __future__ import annotations

from .rules import rules_table_markdown

print(rules_table_markdown())
