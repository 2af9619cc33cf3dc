"""Beside the flow: the archive index (SQLite) and, later, run state."""
