"""Bounded load and fault scripts for the service (issue 6, "Load and faults").

Each runs as `python -m reliability.<name>`, talks only to 127.0.0.1, finishes in under three
minutes, prints its figures and exits non-zero when its check fails. `make reliability` runs all.
They need PostgreSQL at RELIABILITY_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test);
each uses its own database `triage_reliability`, dropped and re-created at the start.
"""
