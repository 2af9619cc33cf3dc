"""Fuzzing listdigest's parsers: mutation engine, targets, CI run and the long run for humans."""
