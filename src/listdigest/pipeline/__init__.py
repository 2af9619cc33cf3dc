"""Glue for ``report`` and ``run``: source -> messages -> digest -> rendered -> delivered.

The one package that knows every stage, a module per job: ``ranges`` (a range's messages,
parsed or rebuilt from the index), ``digest`` (one digest: ``make_digest`` fed one
``DigestOptions``, the path both commands take), ``run`` (``plan_range`` -> ``digest_range``
-> ``render_formats`` -> ``compose`` -> ``deliver`` -> ``record``) and ``stats``.  It
raises; the CLI parses arguments, picks default paths, prints and exits.
"""

from typing import TYPE_CHECKING

from .digest import (
    LANDED_LOOKBACK_DAYS,
    DigestOptions,
    Report,
    _options,
    _whole_archive_note,
    build_report,
    check_trees,
    default_link_base,
    digest_of,
    digest_options,
    digest_source,
    landed_digest,
    mail_diffs,
    make_digest,
    mirrored,
    open_target,
    opened_index,
    path_filter,
    quiet_digest,
    render_formats,
    report,
)
from .ranges import (
    INDEXED_MIN,
    Collected,
    Progress,
    RangeSpec,
    _from_index,
    _git,
    _identity,
    _loop,
    _newest_commit,
    _parse_job,
    _parsed,
    _parsed_jobs,
    collect,
    is_url,
    narrow,
)

if TYPE_CHECKING:
    from .run import (
        LastMessage,
        Letter,
        Outcome,
        Plan,
        check_config,
        compose,
        deliver,
        digest_range,
        empty_digest,
        first_range,
        last_message,
        plan_range,
        record,
        record_nothing,
        resume_point,
        run_list,
        send,
        subject_fields,
    )
    from .stats import StatsRequest, spec_of, stats_of

#: the names of ``run`` and ``stats``, loaded on first use: ``report`` (most runs, from cron
#: or by hand) needs neither, and importing them cost every report ~4 ms
_LAZY = {
    "LastMessage": "run",
    "Letter": "run",
    "Outcome": "run",
    "Plan": "run",
    "check_config": "run",
    "compose": "run",
    "deliver": "run",
    "digest_range": "run",
    "empty_digest": "run",
    "first_range": "run",
    "last_message": "run",
    "plan_range": "run",
    "record": "run",
    "record_nothing": "run",
    "resume_point": "run",
    "run_list": "run",
    "send": "run",
    "subject_fields": "run",
    "StatsRequest": "stats",
    "spec_of": "stats",
    "stats_of": "stats",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
