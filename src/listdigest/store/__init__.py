"""Beside the flow: the archive index (SQLite) and the run state of `run`; used by ``pipeline``."""
