"""Tests of the nurse review console (console/), on SQLite and PostgreSQL."""
