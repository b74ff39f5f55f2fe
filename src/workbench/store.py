"""SQLite observation store: versioned, audited indicator values per Träger.

Model
-----
One row in table ``observation`` is one *version* of the value of an indicator of a Träger for
a reference date (``period``). Values are never changed or deleted: a correction is a new row
with ``version = previous + 1``. SQLite triggers abort every ``UPDATE`` and ``DELETE`` on the
table, and a ``BEFORE INSERT`` trigger rejects versions that are not exactly ``max + 1``, so the
guarantee holds for every client, not only this module.

Every version records who entered it (``entered_by``), when (``entered_at``, UTC), from which
source/document (``source``), a ``comment`` and whether it is example data (``is_example``).
Imports additionally record an ``import_batch`` row (file name, sha256, user, counts).

Values come in as :class:`workbench.observation.Observation` objects (``ImportRow`` for an
import); the rules a value must follow live in :mod:`workbench.observation`, the store applies
them before writing (:meth:`ObservationStore.check`).

Concurrency
-----------
WAL journal, ``busy_timeout`` and every write in ``BEGIN IMMEDIATE`` (the write lock is taken
before the version is read), ``UNIQUE(traeger_id, indicator_id, period, version)`` as the last
line of defence, and a retry with exponential backoff when SQLite still reports *busy*. Several
processes (dashboards in several browsers, a CLI import) can write at once without losing or
duplicating a version; see ``tests/handlungsfelder/test_store_concurrency.py``.

Schema changes are numbered migrations (:data:`MIGRATIONS`), applied automatically when a store
is opened; table ``schema_version`` records which ones ran.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import numbers
import os
import random
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from workbench import paths
from workbench.access import (
    Principal,
    ambient_principal,
    local_login,
    login_required,
    traeger_group,
)
from workbench.exceptions import AccessDeniedError, DataValidationError, Problem
from workbench.fsutil import atomic_path
from workbench.observation import (
    ImportRow,
    IndicatorSpec,
    Observation,
    SpecProvider,
    catalogue_specs,
    fmt_value,
    indicator_problem,
    observation_problems,
)

__all__ = [
    "ASSESSMENT_SCHEMA",
    "MIGRATIONS",
    "OBSERVATION_SCHEMA",
    "RATINGS",
    "SCHEMA_VERSION",
    "TARGET_SCHEMA",
    "ObservationStore",
]

# Column order and dtypes of every frame the store returns (docs/ARCHITECTURE.md).
OBSERVATION_SCHEMA: dict[str, pl.DataType] = {
    "traeger_id": pl.String(),
    "indicator_id": pl.String(),
    "period": pl.Date(),
    "value": pl.Float64(),
    "note": pl.String(),
    "version": pl.Int64(),
    "entered_by": pl.String(),
    "entered_at": pl.Datetime("us", "UTC"),
    "source": pl.String(),
    "comment": pl.String(),
    "is_example": pl.Boolean(),
}

_IMMUTABLE_MSG = (
    "Messwerte sind unveränderlich: Korrekturen werden als neue Version erfasst, "
    "nichts wird überschrieben oder gelöscht"
)
_TARGET_IMMUTABLE_MSG = (
    "Zielwerte sind unveränderlich: eine Änderung wird als neue Version erfasst, "
    "nichts wird überschrieben oder gelöscht"
)
_ASSESSMENT_IMMUTABLE_MSG = (
    "Bewertungen sind unveränderlich: eine neue Bewertung wird als neue Version erfasst, "
    "nichts wird überschrieben oder gelöscht"
)

_REFUSED_IMMUTABLE_MSG = (
    "Das Protokoll abgelehnter Schreibversuche ist unveränderlich: Einträge werden weder "
    "geändert noch gelöscht"
)
# Refused writes (migration 4): who tried to write what without the right (issue 13).
REFUSED_SCHEMA: dict[str, pl.DataType] = {
    "attempted_at": pl.Datetime("us", "UTC"),
    "login": pl.String(),
    "groups": pl.String(),
    "action": pl.String(),
    "traeger_id": pl.String(),
    "detail": pl.String(),
}
NOT_LOGGED_IN = "(nicht angemeldet)"

# Stored Zielwerte (migration 3): the newest version per Träger × indicator supersedes the
# catalogue's zielwert (workbench.progress).
TARGET_SCHEMA: dict[str, pl.DataType] = {
    "traeger_id": pl.String(),
    "indicator_id": pl.String(),
    "target": pl.Float64(),
    "version": pl.Int64(),
    "set_by": pl.String(),
    "set_at": pl.Datetime("us", "UTC"),
    "comment": pl.String(),
}
# Assessments of qualitative indicators (migration 3): dated, justified, versioned.
ASSESSMENT_SCHEMA: dict[str, pl.DataType] = {
    "traeger_id": pl.String(),
    "indicator_id": pl.String(),
    "assessed_on": pl.Date(),
    "rating": pl.String(),
    "justification": pl.String(),
    "version": pl.Int64(),
    "assessed_by": pl.String(),
    "entered_at": pl.Datetime("us", "UTC"),
    "is_example": pl.Boolean(),
}
RATINGS: tuple[str, ...] = ("erreicht", "teilweise erreicht", "nicht erreicht")

# Numbered migrations. Never edit a released one; append a new one instead.
MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        f"""
        CREATE TABLE observation (
            id          INTEGER PRIMARY KEY,
            traeger_id  TEXT NOT NULL CHECK (traeger_id <> ''),
            indicator_id TEXT NOT NULL CHECK (indicator_id <> ''),
            period      TEXT NOT NULL
                        CHECK (period GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
            value       REAL,
            note        TEXT,
            version     INTEGER NOT NULL CHECK (version >= 1),
            entered_by  TEXT NOT NULL CHECK (entered_by <> ''),
            entered_at  TEXT NOT NULL,
            source      TEXT NOT NULL CHECK (source <> ''),
            comment     TEXT NOT NULL DEFAULT '',
            is_example  INTEGER NOT NULL DEFAULT 0 CHECK (is_example IN (0, 1)),
            CHECK (value IS NOT NULL OR note IS NOT NULL),
            UNIQUE (traeger_id, indicator_id, period, version)
        );
        CREATE TRIGGER observation_no_update BEFORE UPDATE ON observation
        BEGIN SELECT RAISE(ABORT, '{_IMMUTABLE_MSG}'); END;
        CREATE TRIGGER observation_no_delete BEFORE DELETE ON observation
        BEGIN SELECT RAISE(ABORT, '{_IMMUTABLE_MSG}'); END;
        CREATE TRIGGER observation_version_contiguous BEFORE INSERT ON observation
        WHEN NEW.version <> COALESCE((SELECT MAX(version) FROM observation
                                      WHERE traeger_id = NEW.traeger_id
                                        AND indicator_id = NEW.indicator_id
                                        AND period = NEW.period), 0) + 1
        BEGIN SELECT RAISE(ABORT, 'Versionsnummer muss lückenlos fortlaufen'); END;
        """,
    ),
    (
        2,
        f"""
        CREATE TABLE import_batch (
            id            INTEGER PRIMARY KEY,
            started_at    TEXT NOT NULL,
            entered_by    TEXT NOT NULL,
            file_name     TEXT,
            file_sha256   TEXT,
            rows_in_file  INTEGER NOT NULL,
            new_versions  INTEGER NOT NULL
        );
        CREATE TRIGGER import_batch_no_update BEFORE UPDATE ON import_batch
        BEGIN SELECT RAISE(ABORT, '{_IMMUTABLE_MSG}'); END;
        CREATE TRIGGER import_batch_no_delete BEFORE DELETE ON import_batch
        BEGIN SELECT RAISE(ABORT, '{_IMMUTABLE_MSG}'); END;
        ALTER TABLE observation ADD COLUMN batch_id INTEGER REFERENCES import_batch(id);
        CREATE INDEX observation_entered_at ON observation(entered_at);
        """,
    ),
    (
        3,
        f"""
        CREATE TABLE target (
            id           INTEGER PRIMARY KEY,
            traeger_id   TEXT NOT NULL CHECK (traeger_id <> ''),
            indicator_id TEXT NOT NULL CHECK (indicator_id <> ''),
            value        REAL NOT NULL,
            version      INTEGER NOT NULL CHECK (version >= 1),
            set_by       TEXT NOT NULL CHECK (set_by <> ''),
            set_at       TEXT NOT NULL,
            comment      TEXT NOT NULL CHECK (comment <> ''),
            UNIQUE (traeger_id, indicator_id, version)
        );
        CREATE TRIGGER target_no_update BEFORE UPDATE ON target
        BEGIN SELECT RAISE(ABORT, '{_TARGET_IMMUTABLE_MSG}'); END;
        CREATE TRIGGER target_no_delete BEFORE DELETE ON target
        BEGIN SELECT RAISE(ABORT, '{_TARGET_IMMUTABLE_MSG}'); END;
        CREATE TRIGGER target_version_contiguous BEFORE INSERT ON target
        WHEN NEW.version <> COALESCE((SELECT MAX(version) FROM target
                                      WHERE traeger_id = NEW.traeger_id
                                        AND indicator_id = NEW.indicator_id), 0) + 1
        BEGIN SELECT RAISE(ABORT, 'Versionsnummer muss lückenlos fortlaufen'); END;
        CREATE TABLE assessment (
            id            INTEGER PRIMARY KEY,
            traeger_id    TEXT NOT NULL CHECK (traeger_id <> ''),
            indicator_id  TEXT NOT NULL CHECK (indicator_id <> ''),
            assessed_on   TEXT NOT NULL
                          CHECK (assessed_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
            rating        TEXT NOT NULL
                          CHECK (rating IN ('erreicht', 'teilweise erreicht', 'nicht erreicht')),
            justification TEXT NOT NULL CHECK (justification <> ''),
            version       INTEGER NOT NULL CHECK (version >= 1),
            assessed_by   TEXT NOT NULL CHECK (assessed_by <> ''),
            entered_at    TEXT NOT NULL,
            is_example    INTEGER NOT NULL DEFAULT 0 CHECK (is_example IN (0, 1)),
            UNIQUE (traeger_id, indicator_id, version)
        );
        CREATE TRIGGER assessment_no_update BEFORE UPDATE ON assessment
        BEGIN SELECT RAISE(ABORT, '{_ASSESSMENT_IMMUTABLE_MSG}'); END;
        CREATE TRIGGER assessment_no_delete BEFORE DELETE ON assessment
        BEGIN SELECT RAISE(ABORT, '{_ASSESSMENT_IMMUTABLE_MSG}'); END;
        CREATE TRIGGER assessment_version_contiguous BEFORE INSERT ON assessment
        WHEN NEW.version <> COALESCE((SELECT MAX(version) FROM assessment
                                      WHERE traeger_id = NEW.traeger_id
                                        AND indicator_id = NEW.indicator_id), 0) + 1
        BEGIN SELECT RAISE(ABORT, 'Versionsnummer muss lückenlos fortlaufen'); END;
        """,
    ),
    (
        4,
        f"""
        CREATE TABLE refused_write (
            id            INTEGER PRIMARY KEY,
            attempted_at  TEXT NOT NULL,
            login         TEXT NOT NULL CHECK (login <> ''),
            groups        TEXT NOT NULL,
            action        TEXT NOT NULL CHECK (action <> ''),
            traeger_id    TEXT,
            detail        TEXT NOT NULL DEFAULT ''
        );
        CREATE TRIGGER refused_write_no_update BEFORE UPDATE ON refused_write
        BEGIN SELECT RAISE(ABORT, '{_REFUSED_IMMUTABLE_MSG}'); END;
        CREATE TRIGGER refused_write_no_delete BEFORE DELETE ON refused_write
        BEGIN SELECT RAISE(ABORT, '{_REFUSED_IMMUTABLE_MSG}'); END;
        """,
    ),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]

BUSY_TIMEOUT_MS = 5_000

# Connections inherited by a forked child; kept referenced so they are never closed there.
_INHERITED: list[sqlite3.Connection] = []
# Every open store of this process, so the fork hooks below can reach their connections.
_LIVE_STORES: weakref.WeakSet[ObservationStore] = weakref.WeakSet()


def _release_before_fork() -> None:
    """Close idle connections before ``fork()``; their owners reopen them lazily.

    SQLite keeps per-process lock and WAL-index state. A child forked while a connection is
    open inherits that state and then skips taking its own WAL-index lock; when the parent
    later closes what it believes is the last connection, it checkpoints and deletes the WAL
    under the child's feet and the child's commits vanish without an error (reproduced in
    tests/handlungsfelder/test_store_concurrency.py). With no connection open at fork time
    the child starts clean. A connection inside a transaction (another thread writing right
    now) cannot be closed; it is left alone and never used by the child.
    """
    for store in list(_LIVE_STORES):
        store._release_idle_connections()


def _reset_after_fork_in_child() -> None:
    # Another thread may have held a store's lock at fork time; it does not exist here.
    for store in list(_LIVE_STORES):
        store._lock = threading.Lock()


os.register_at_fork(before=_release_before_fork, after_in_child=_reset_after_fork_in_child)


def _close_own_connections(open_conns: list[tuple[int, sqlite3.Connection]]) -> None:
    """Finalizer: close this process's connections of a collected store right away (a
    sqlite3 connection otherwise lingers until the cyclic GC runs, at an arbitrary moment)."""
    pid = os.getpid()
    for owner, conn in list(open_conns):
        if owner == pid:
            conn.close()
    open_conns.clear()


MAX_RETRIES = 5


# --------------------------------------------------------------------------------------------
# Store
# --------------------------------------------------------------------------------------------


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _ts_text(ts: dt.datetime) -> str:
    """Fixed-width UTC text so that string order equals time order in SQL."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.UTC)
    return ts.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class ObservationStore:
    """Versioned, audited indicator values in one SQLite file.

    ``path`` defaults to :func:`workbench.paths.store_path` (env ``WORKBENCH_DB``). The file
    and its directory are created and migrated on first use. ``specs`` returns the catalogue
    indicators of a Träger (default :func:`catalogue_specs`); pass ``validate=False`` to store
    values without catalogue checks.

    :meth:`current` returns the latest version per value, columns ``traeger_id,
    indicator_id, period, value, note, version, entered_by, entered_at, source, comment,
    is_example``; :meth:`history`, :meth:`as_of`, :meth:`targets` and :meth:`assessments`
    the rest of the record.

    Example::

        >>> from workbench.observation import Observation
        >>> store = ObservationStore("/tmp/messwerte.sqlite")
        >>> store.record(Observation("sachsenheim", "anzahl-sprachkurse",
        ...                          dt.date(2025, 12, 31), 12,
        ...                          entered_by="Analyse", source="Kursliste VHS"))
        1
        >>> store.current("sachsenheim").select("indicator_id", "period", "value", "version")
    """

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        validate: bool = True,
        specs: SpecProvider | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else paths.store_path()
        self.validate = validate
        self._specs_provider: SpecProvider = specs or catalogue_specs
        # The default provider caches by file mtime itself; a custom one is cached here.
        self._specs_cache: dict[str, Mapping[str, IndicatorSpec] | None] | None = (
            None if specs is None else {}
        )
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[tuple[int, sqlite3.Connection]] = []
        # Bumped when the fork hook closes connections: threads then open a fresh one.
        self._generation = 0
        _LIVE_STORES.add(self)
        weakref.finalize(self, _close_own_connections, self._open)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._retry(self._migrate)

    # -- connections -------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves.
        # check_same_thread=False only so that close() may close other threads' connections;
        # each connection is used by exactly one thread (see _conn).
        conn = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        # FULL: a committed audit record survives power loss too, not only a process crash.
        conn.execute("PRAGMA synchronous = FULL")
        return conn

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection, opened once and kept (closing the last connection of a
        WAL database checkpoints and fsyncs — 10+ ms per call if done every time)."""
        state = getattr(self._local, "conn", None)
        pid = os.getpid()
        if state is not None and state[0] == pid and state[1] == self._generation:
            return state[2]
        if state is not None and state[0] != pid:
            # Inherited over fork: never use or close it here (SQLite forbids both).
            _INHERITED.append(state[2])
        conn = self._connect()
        self._local.conn = (pid, self._generation, conn)
        with self._lock:
            self._open.append((pid, conn))
        return conn

    def _release_idle_connections(self) -> None:
        """Close this process's connections that are not inside a transaction."""
        pid = os.getpid()
        with self._lock:
            keep, idle = [], []
            for owner, conn in self._open:
                busy = owner != pid or conn.in_transaction
                (keep if busy else idle).append((owner, conn))
            self._open[:] = keep
            if idle:
                self._generation += 1
        for _, conn in idle:
            conn.close()

    def close(self) -> None:
        """Close this process's connections (optional; they also close when collected)."""
        with self._lock:
            mine = [c for pid, c in self._open if pid == os.getpid()]
            # In place: the finalizer holds this very list.
            self._open[:] = [(pid, c) for pid, c in self._open if pid != os.getpid()]
        for conn in mine:
            conn.close()
        self._local = threading.local()

    def __enter__(self) -> ObservationStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        yield self._conn()

    def _retry(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` and retry with exponential backoff + jitter while SQLite is busy."""
        delay = 0.01
        for attempt in range(MAX_RETRIES):
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or attempt == MAX_RETRIES - 1:
                    raise
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def _write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``fn(conn)`` inside one ``BEGIN IMMEDIATE`` transaction (all or nothing)."""

        def attempt() -> Any:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
                conn.execute("COMMIT")
            except BaseException:
                # SQLite may already have rolled back (e.g. on SQLITE_FULL).
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return result

        return self._retry(attempt)

    def _migrate(self) -> None:
        conn = self._conn()
        # WAL is persistent in the file; readers never block the single writer.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            done = {r[0] for r in conn.execute("SELECT version FROM schema_version")}
            if done and max(done) > SCHEMA_VERSION:
                raise RuntimeError(
                    f"Messwertspeicher {self.path} hat Schema-Version {max(done)}, diese "
                    f"Programmversion kennt nur bis {SCHEMA_VERSION}: bitte workbench "
                    "aktualisieren"
                )
            for number, sql in MIGRATIONS:
                if number in done:
                    continue
                for statement in _split_sql(sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                    (number, _ts_text(utc_now())),
                )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def schema_version(self) -> int:
        with self._read() as conn:
            return conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]

    # -- validation --------------------------------------------------------------------------

    def specs(self, traeger_id: str) -> Mapping[str, IndicatorSpec] | None:
        """Catalogue indicators of ``traeger_id``, ``None`` if there is no catalogue."""
        if self._specs_cache is None:
            return self._specs_provider(traeger_id)
        if traeger_id not in self._specs_cache:
            self._specs_cache[traeger_id] = self._specs_provider(traeger_id)
        return self._specs_cache[traeger_id]

    def check(
        self,
        observation: Observation,
        _specs: dict[str, Mapping[str, IndicatorSpec] | None] | None = None,
    ) -> list[Problem]:
        """German problems with one observation: its fields
        (:func:`workbench.observation.observation_problems`), then, with ``validate``, the
        Träger's catalogue (:func:`workbench.observation.indicator_problem`).

        ``_specs`` memoises catalogue look-ups across the rows of one :meth:`record_many`.
        """
        where = self.path.name
        problems = observation_problems(observation, where)
        if problems or not self.validate:
            return problems
        traeger_id = observation.traeger_id or ""
        if _specs is None:
            specs = self.specs(traeger_id)
        else:
            if traeger_id not in _specs:
                _specs[traeger_id] = self.specs(traeger_id)
            specs = _specs[traeger_id]
        if specs is None:
            return problems
        problem = indicator_problem(observation, specs, where)
        return [problem] if problem is not None else []

    # -- rights (issue 13) --------------------------------------------------------------------

    def authorize(
        self,
        actor: Principal | None,
        action: str,
        traeger_ids: Iterable[str],
        detail: str = "",
    ) -> Principal | None:
        """The principal a write is recorded under, after checking its rights.

        ``actor`` ``None``: the process's :func:`~workbench.access.ambient_principal` (a hub
        user's JupyterLab); without one and without the hub (single local user, no
        ``WORKBENCH_REQUIRE_LOGIN``) ``None`` is returned and the write records the name the
        data carries, as before issue 13. A write that is not allowed – a Träger outside the
        principal's groups, or no principal under the hub – is recorded in ``refused_write``
        (its own committed transaction) and raised as :class:`AccessDeniedError` (German).
        ``action``: German noun for messages and the audit (``"Messwert"``, ``"Zielwert"`` …).
        """
        traeger = sorted({t for t in traeger_ids if t})
        if actor is None:
            actor = ambient_principal()
            if actor is None:
                if not login_required():
                    return None
                self._refuse(None, action, traeger, detail)
        assert actor is not None
        denied = [t for t in traeger if not actor.can_write(t)]
        if denied:
            self._refuse(actor, action, denied, detail)
        return actor

    def _refuse(self, actor: Principal | None, action: str, traeger: list[str],
                detail: str) -> None:
        login = actor.login if actor is not None else NOT_LOGGED_IN
        groups = ", ".join(sorted(actor.groups)) if actor is not None else ""
        now = _ts_text(utc_now())

        def write(conn: sqlite3.Connection) -> None:
            for t in traeger or [None]:
                conn.execute(
                    "INSERT INTO refused_write (attempted_at, login, groups, action, traeger_id,"
                    " detail) VALUES (?, ?, ?, ?, ?, ?)",
                    (now, login, groups, action, t, detail),
                )

        self._write(write)
        if actor is None:
            message = (f"{action} nicht gespeichert: Schreiben ist nur nach Anmeldung möglich. "
                       "Der Versuch wurde protokolliert.")
        else:
            names = ", ".join(f"„{t}“" for t in traeger)
            needed = " bzw. ".join(f"„{traeger_group(t)}“" for t in traeger)
            message = (
                f"{action} nicht gespeichert: „{actor.login}“ darf für den Träger {names} nicht "
                f"schreiben (dazu fehlt die Gruppe {needed} oder „kreis-integration“; eigene "
                f"Gruppen: {groups or 'keine'}). Der Versuch wurde protokolliert."
            )
        raise AccessDeniedError(message, login=login,
                                traeger_id=traeger[0] if traeger else None)

    def refused_writes(self, traeger_id: str | None = None) -> pl.DataFrame:
        """The audit of refused writes (see REFUSED_SCHEMA), oldest first."""
        sql = ("SELECT attempted_at, login, groups, action, traeger_id, detail FROM refused_write"
               + (" WHERE traeger_id = ?" if traeger_id else "") + " ORDER BY id")
        with self._read() as conn:
            rows = conn.execute(sql, [traeger_id] if traeger_id else []).fetchall()
        return _audit_frame(rows, REFUSED_SCHEMA, dates=(), stamps=("attempted_at",))

    # -- writing -----------------------------------------------------------------------------

    def record(self, observation: Observation, *, actor: Principal | None = None) -> int:
        """Store one value; return its version (1 for a new value, 2+ for a correction).

        Every call creates a new version, also when the value equals the current one (an
        explicit entry is an audited act). Raises :class:`DataValidationError` (German) when the
        value does not fit the catalogue, or when example data would supersede a real value.
        ``actor``: who writes (see :meth:`authorize`); their login is recorded as
        ``entered_by``, whatever the observation says; a Träger outside their rights raises
        :class:`AccessDeniedError` and is audited.
        """
        who = self.authorize(actor, "Messwert", [observation.traeger_id or ""],
                             f"{observation.indicator_id} zum {observation.period}")
        if who is not None:
            observation = dataclasses.replace(observation, entered_by=who.login)
        problems = self.check(observation)
        if problems:
            raise DataValidationError(problems)
        obs = observation

        def write(conn: sqlite3.Connection) -> int:
            if obs.is_example and self._has_real(conn, obs):
                raise DataValidationError([Problem(
                    self.path.name, None, "Beispieldaten", "ja",
                    f"keine Beispieldaten für „{obs.indicator_id}“ zum {obs.period:%d.%m.%Y}: "
                    "dafür gibt es schon einen echten Wert (Beispieldaten überschreiben keine "
                    "echten Werte)",
                )])
            return self._insert(conn, obs, _ts_text(utc_now()), None)

        return self._write(write)

    def record_many(
        self,
        observations: Iterable[Observation | ImportRow],
        *,
        skip_unchanged: bool = False,
        batch: Mapping[str, Any] | None = None,
        actor: Principal | None = None,
    ) -> int:
        """Store many values in ONE transaction (all or nothing); return versions written.

        ``observations``: :class:`Observation` objects, or :class:`ImportRow` objects from a
        file import. With ``skip_unchanged`` an observation whose value, note, source and
        example flag equal the current version is not stored again (idempotent re-import); an
        import row whose source was defaulted to the file name (``source_given=False``) is
        compared without its source. ``batch`` (``entered_by``, ``file_name``,
        ``file_sha256``) records an ``import_batch`` row linked to the new versions. Example
        observations (``is_example``) for a key that already has a real value are skipped.
        Problems are numbered by position in ``observations`` (1-based). ``actor``: as in
        :meth:`record`; one Träger outside their rights refuses the whole import (audited).
        """
        rows = [r if isinstance(r, ImportRow) else ImportRow(r, index)
                for index, r in enumerate(observations, start=1)]
        file_name = (batch or {}).get("file_name") or ""
        who = self.authorize(
            actor, "Messwerte-Import", [r.observation.traeger_id or "" for r in rows],
            f"{len(rows)} Zeilen" + (f" aus {file_name}" if file_name else ""),
        )
        if who is not None:
            rows = [dataclasses.replace(
                r, observation=dataclasses.replace(r.observation, entered_by=who.login))
                for r in rows]
            if batch is not None:
                batch = {**batch, "entered_by": who.login}
        problems: list[Problem] = []
        specs: dict[str, Mapping[str, IndicatorSpec] | None] = {}
        for index, row in enumerate(rows, start=1):
            for p in self.check(row.observation, specs):
                problems.append(Problem(p.file, index, p.column, p.value, p.expected))
        if problems:
            raise DataValidationError(problems)

        def write(conn: sqlite3.Connection) -> int:
            now = _ts_text(utc_now())
            todo = rows
            if skip_unchanged:
                todo = [r for r in rows if not self._unchanged(conn, r)]
            # Example data never supersedes a real value (loading Beispieldaten into a store
            # that already holds real values must not hide them).
            todo = [r for r in todo
                    if not (r.observation.is_example and self._has_real(conn, r.observation))]
            batch_id = None
            if batch is not None:
                batch_id = conn.execute(
                    "INSERT INTO import_batch (started_at, entered_by, file_name, file_sha256,"
                    " rows_in_file, new_versions) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        now,
                        batch.get("entered_by") or "unbekannt",
                        batch.get("file_name"),
                        batch.get("file_sha256"),
                        len(rows),
                        len(todo),
                    ),
                ).lastrowid
            for row in todo:
                self._insert(conn, row.observation, now, batch_id)
            return len(todo)

        return self._write(write)

    @staticmethod
    def _has_real(conn: sqlite3.Connection, obs: Observation) -> bool:
        return conn.execute(
            "SELECT 1 FROM observation WHERE traeger_id = ? AND indicator_id = ? AND period = ?"
            " AND is_example = 0 LIMIT 1",
            (obs.traeger_id, obs.indicator_id, obs.period.isoformat()),
        ).fetchone() is not None

    @staticmethod
    def _unchanged(conn: sqlite3.Connection, row: ImportRow) -> bool:
        obs = row.observation
        latest = conn.execute(
            "SELECT value, note, source, is_example FROM observation"
            " WHERE traeger_id = ? AND indicator_id = ? AND period = ?"
            " ORDER BY version DESC LIMIT 1",
            (obs.traeger_id, obs.indicator_id, obs.period.isoformat()),
        ).fetchone()
        if latest is None:
            return False
        value = None if obs.value is None else float(obs.value)
        note = obs.note or None
        return (
            latest[0] == value
            and (latest[1] or None) == note
            # A source filled in by default (the import file name) is no reason for a version.
            and (latest[2] == obs.source or not row.source_given)
            and bool(latest[3]) == bool(obs.is_example)
        )

    @staticmethod
    def _insert(
        conn: sqlite3.Connection, obs: Observation, now: str, batch_id: int | None
    ) -> int:
        key = (obs.traeger_id, obs.indicator_id, obs.period.isoformat())
        # The version is read and written inside the same IMMEDIATE transaction, so no other
        # writer can slip in between; UNIQUE + the contiguity trigger back this up.
        (version,) = conn.execute(
            "INSERT INTO observation (traeger_id, indicator_id, period, value, note, version,"
            " entered_by, entered_at, source, comment, is_example, batch_id)"
            " VALUES (?1, ?2, ?3, ?4, ?5,"
            "  (SELECT COALESCE(MAX(version), 0) + 1 FROM observation"
            "   WHERE traeger_id = ?1 AND indicator_id = ?2 AND period = ?3),"
            "  ?6, ?7, ?8, ?9, ?10, ?11) RETURNING version",
            (
                *key,
                None if obs.value is None else float(obs.value),
                obs.note or None,
                obs.entered_by,
                now,
                obs.source,
                obs.comment or "",
                1 if obs.is_example else 0,
                batch_id,
            ),
        ).fetchone()
        return int(version)

    # -- reading -----------------------------------------------------------------------------

    _COLUMNS = (
        "traeger_id, indicator_id, period, value, note, version, entered_by, entered_at,"
        " source, comment, is_example"
    )

    def _query(self, sql: str, params: list[Any]) -> pl.DataFrame:
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return _frame(rows)

    @staticmethod
    def _filters(
        traeger_id: str | None,
        indicator_id: str | None = None,
        period: dt.date | None = None,
        include_examples: bool = True,
        alias: str = "o",
    ) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if traeger_id is not None:
            clauses.append(f"{alias}.traeger_id = ?")
            params.append(traeger_id)
        if indicator_id is not None:
            clauses.append(f"{alias}.indicator_id = ?")
            params.append(indicator_id)
        if period is not None:
            clauses.append(f"{alias}.period = ?")
            params.append(period.isoformat())
        if not include_examples:
            clauses.append(f"{alias}.is_example = 0")
        return (" AND ".join(clauses) or "1"), params

    def _latest(
        self,
        traeger_id: str | None,
        include_examples: bool,
        before: str | None,
    ) -> pl.DataFrame:
        where, params = self._filters(traeger_id, include_examples=include_examples)
        inner_time, inner_params = "", []
        if before is not None:
            inner_time, inner_params = " AND i.entered_at <= ?", [before]
            where += " AND o.entered_at <= ?"
            params.append(before)
        cols = ", ".join(f"o.{c.strip()}" for c in self._COLUMNS.split(","))
        # Latest version per key (among versions entered up to ``before``); the example
        # filter applies after picking it. Examples never supersede real values (see
        # record_many), so hiding examples never hides a real value.
        sql = (
            f"SELECT {cols} FROM observation o"
            " WHERE o.version = (SELECT MAX(i.version) FROM observation i"
            "  WHERE i.traeger_id = o.traeger_id AND i.indicator_id = o.indicator_id"
            f"  AND i.period = o.period{inner_time})"
            f" AND {where}"
            " ORDER BY o.traeger_id, o.indicator_id, o.period"
        )
        return self._query(sql, [*inner_params, *params])

    def current(self, traeger_id: str | None = None, include_examples: bool = True) -> pl.DataFrame:
        """Latest version per Träger × indicator × period (see OBSERVATION_SCHEMA)."""
        return self._latest(traeger_id, include_examples, None)

    def as_of(
        self,
        timestamp: dt.datetime,
        traeger_id: str | None = None,
        include_examples: bool = True,
    ) -> pl.DataFrame:
        """What :meth:`current` returned at ``timestamp`` (naive timestamps are taken as UTC)."""
        return self._latest(traeger_id, include_examples, _ts_text(timestamp))

    def history(
        self,
        traeger_id: str | None = None,
        indicator_id: str | None = None,
        period: dt.date | None = None,
    ) -> pl.DataFrame:
        """All versions, oldest first within each key."""
        where, params = self._filters(traeger_id, indicator_id, period)
        return self._query(
            f"SELECT {self._COLUMNS} FROM observation o WHERE {where}"
            " ORDER BY traeger_id, indicator_id, period, version",
            params,
        )

    # -- Zielwerte and assessments (migration 3) ---------------------------------------------

    def _spec_for(self, traeger_id: str, indicator_id: str,
                  where: str, problems: list[Problem]) -> IndicatorSpec | None:
        """The catalogue spec of an indicator; a problem when the catalogue lacks it."""
        specs = self.specs(traeger_id) if self.validate and traeger_id else None
        if specs is None:
            return None
        spec = specs.get(indicator_id)
        if spec is None:
            problems.append(Problem(where, None, "Indikator-ID", indicator_id,
                                    f"eine Indikator-ID aus dem Katalog von „{traeger_id}“"))
        return spec

    def check_target(self, row: Mapping[str, Any]) -> list[Problem]:
        """German problems with a Zielwert (keyword arguments of :meth:`set_target`)."""
        where = self.path.name
        problems: list[Problem] = []
        for key, label in (("traeger_id", "Träger"), ("indicator_id", "Indikator-ID"),
                           ("set_by", "Festgelegt von"),
                           ("comment", "Begründung")):
            if not str(row.get(key) or "").strip():
                problems.append(Problem(where, None, label, "", "nicht leer"))
        value = row.get("value")
        if value is None or isinstance(value, bool) or not isinstance(value, numbers.Real):
            problems.append(Problem(where, None, "Zielwert", "" if value is None else repr(value),
                                    "eine Zahl"))
            return problems
        value = float(value)
        if not math.isfinite(value):
            problems.append(Problem(where, None, "Zielwert", str(value),
                                    "eine endliche Zahl"))
            return problems
        spec = self._spec_for(row.get("traeger_id") or "", row.get("indicator_id") or "",
                              where, problems)
        if spec is None:
            return problems
        if spec.kind not in ("anzahl", "anteil"):
            problems.append(Problem(
                where, None, "Zielwert", fmt_value(value),
                "einen Indikator der Art Anzahl oder Anteil (Meilensteine haben „erledigt“ als "
                "Ziel, qualitative Indikatoren werden bewertet)"))
        elif spec.kind == "anzahl" and (value < 0 or not value.is_integer()):
            problems.append(Problem(where, None, "Zielwert", fmt_value(value),
                                    "eine Anzahl (ganze Zahl ≥ 0)"))
        elif spec.kind == "anteil" and not 0 <= value <= 100:
            problems.append(Problem(where, None, "Zielwert", fmt_value(value),
                                    "einen Anteil in Prozent zwischen 0 und 100"))
        return problems

    def set_target(
        self,
        traeger_id: str,
        indicator_id: str,
        value: float,
        *,
        set_by: str,
        comment: str,
        actor: Principal | None = None,
    ) -> int:
        """Store a Zielwert as a new version; return the version (1, 2, …).

        The newest version supersedes the catalogue's ``zielwert`` (both stay visible in
        :meth:`target_history`). ``comment``: why/on whose decision (required).
        ``actor``: as in :meth:`record` (their login replaces ``set_by``).
        """
        who = self.authorize(actor, "Zielwert", [traeger_id], indicator_id)
        if who is not None:
            set_by = who.login
        row = {"traeger_id": traeger_id, "indicator_id": indicator_id, "value": value,
               "set_by": set_by, "comment": comment}
        problems = self.check_target(row)
        if problems:
            raise DataValidationError(problems)

        def write(conn: sqlite3.Connection) -> int:
            (version,) = conn.execute(
                "INSERT INTO target (traeger_id, indicator_id, value, version, set_by, set_at,"
                " comment) VALUES (?1, ?2, ?3,"
                "  (SELECT COALESCE(MAX(version), 0) + 1 FROM target"
                "   WHERE traeger_id = ?1 AND indicator_id = ?2), ?4, ?5, ?6) RETURNING version",
                (traeger_id, indicator_id, float(value), set_by.strip(),
                 _ts_text(utc_now()), comment.strip()),
            ).fetchone()
            return int(version)

        return self._write(write)

    def target_history(
        self, traeger_id: str | None = None, indicator_id: str | None = None
    ) -> pl.DataFrame:
        """All stored Zielwert versions (see TARGET_SCHEMA), oldest first per indicator."""
        where, params = self._filters(traeger_id, indicator_id, alias="t")
        with self._read() as conn:
            rows = conn.execute(
                "SELECT traeger_id, indicator_id, value, version, set_by, set_at, comment"
                f" FROM target t WHERE {where} ORDER BY traeger_id, indicator_id, version",
                params,
            ).fetchall()
        return _audit_frame(rows, TARGET_SCHEMA, dates=(), stamps=("set_at",))

    def targets(self, traeger_id: str | None = None) -> pl.DataFrame:
        """The newest stored Zielwert per Träger × indicator (see TARGET_SCHEMA)."""
        hist = self.target_history(traeger_id)
        return hist.group_by("traeger_id", "indicator_id", maintain_order=True).last()

    def check_assessment(self, row: Mapping[str, Any]) -> list[Problem]:
        """German problems with an assessment (keyword arguments of
        :meth:`record_assessment`)."""
        where = self.path.name
        problems: list[Problem] = []
        for key, label in (("traeger_id", "Träger"), ("indicator_id", "Indikator-ID"),
                           ("assessed_by", "Bewertet von"),
                           ("justification", "Begründung")):
            if not str(row.get(key) or "").strip():
                problems.append(Problem(where, None, label, "", "nicht leer"))
        when = row.get("assessed_on")
        if not isinstance(when, dt.date) or isinstance(when, dt.datetime):
            problems.append(Problem(where, None, "Bewertet am", str(when or ""),
                                    "ein Datum (TT.MM.JJJJ)"))
        elif when > dt.date.today():
            problems.append(Problem(where, None, "Bewertet am", f"{when:%d.%m.%Y}",
                                    "ein Datum, das nicht in der Zukunft liegt"))
        if row.get("rating") not in RATINGS:
            problems.append(Problem(where, None, "Bewertung", str(row.get("rating") or ""),
                                    "„erreicht“, „teilweise erreicht“ oder „nicht erreicht“"))
        spec = self._spec_for(row.get("traeger_id") or "", row.get("indicator_id") or "",
                              where, problems)
        if spec is not None and spec.kind != "qualitativ":
            problems.append(Problem(
                where, None, "Bewertung", str(row.get("rating") or ""),
                "einen qualitativen Indikator (Zahlen werden am Zielwert gemessen, "
                "Meilensteine als erledigt/offen erfasst)"))
        return problems

    def record_assessment(
        self,
        traeger_id: str,
        indicator_id: str,
        assessed_on: dt.date,
        rating: str,
        justification: str,
        *,
        assessed_by: str,
        is_example: bool = False,
        actor: Principal | None = None,
    ) -> int:
        """Store a dated, justified rating of a qualitative indicator as a new version.

        ``rating`` is one of :data:`RATINGS`. Earlier assessments are kept (append-only);
        progress uses the latest one up to its evaluation date. ``actor``: as in
        :meth:`record` (their login replaces ``assessed_by``).
        """
        who = self.authorize(actor, "Bewertung", [traeger_id], indicator_id)
        if who is not None:
            assessed_by = who.login
        row = {"traeger_id": traeger_id, "indicator_id": indicator_id,
               "assessed_on": assessed_on, "rating": rating, "justification": justification,
               "assessed_by": assessed_by}
        problems = self.check_assessment(row)
        if problems:
            raise DataValidationError(problems)

        def write(conn: sqlite3.Connection) -> int:
            (version,) = conn.execute(
                "INSERT INTO assessment (traeger_id, indicator_id, assessed_on, rating,"
                " justification, version, assessed_by, entered_at, is_example)"
                " VALUES (?1, ?2, ?3, ?4, ?5,"
                "  (SELECT COALESCE(MAX(version), 0) + 1 FROM assessment"
                "   WHERE traeger_id = ?1 AND indicator_id = ?2), ?6, ?7, ?8) RETURNING version",
                (traeger_id, indicator_id, assessed_on.isoformat(), rating,
                 justification.strip(), assessed_by.strip(), _ts_text(utc_now()),
                 1 if is_example else 0),
            ).fetchone()
            return int(version)

        return self._write(write)

    def assessments(
        self, traeger_id: str | None = None, indicator_id: str | None = None
    ) -> pl.DataFrame:
        """All assessment versions (see ASSESSMENT_SCHEMA), oldest first per indicator."""
        where, params = self._filters(traeger_id, indicator_id, alias="a")
        with self._read() as conn:
            rows = conn.execute(
                "SELECT traeger_id, indicator_id, assessed_on, rating, justification, version,"
                f" assessed_by, entered_at, is_example FROM assessment a WHERE {where}"
                " ORDER BY traeger_id, indicator_id, version",
                params,
            ).fetchall()
        return _audit_frame(rows, ASSESSMENT_SCHEMA, dates=("assessed_on",),
                            stamps=("entered_at",))

    def count(self) -> int:
        """Number of stored versions (all keys)."""
        with self._read() as conn:
            return conn.execute("SELECT COUNT(*) FROM observation").fetchone()[0]

    def batches(self) -> pl.DataFrame:
        """The import log: one row per import (file, sha256, user, rows, new versions)."""
        with self._read() as conn:
            cur = conn.execute(
                "SELECT id, started_at, entered_by, file_name, file_sha256, rows_in_file,"
                " new_versions FROM import_batch ORDER BY id"
            )
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
        return pl.DataFrame(rows, schema=names, orient="row")

    def backup(self, target: Path | str) -> Path:
        """Write a consistent copy of the store to ``target`` (SQLite online backup API: safe
        while other processes write; the copy is complete up to the last commit)."""
        target = Path(target)
        # SQLite treats the empty temp file as a new database.
        with atomic_path(target) as tmp:
            dst = sqlite3.connect(tmp)
            try:
                with self._read() as conn:
                    conn.backup(dst)
            finally:
                dst.close()
        return target

    def integrity_check(self) -> str:
        """``PRAGMA integrity_check`` result (``"ok"`` when the file is sound)."""
        with self._read() as conn:
            return conn.execute("PRAGMA integrity_check").fetchone()[0]


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (BEGIN … END;) together."""
    statements, buffer = [], ""
    for line in script.strip().splitlines():
        buffer += line + "\n"
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def _frame(rows: list[tuple]) -> pl.DataFrame:
    names = list(OBSERVATION_SCHEMA)
    if not rows:
        return pl.DataFrame(schema=OBSERVATION_SCHEMA)
    raw = pl.DataFrame(
        rows,
        schema={n: (pl.String if n in ("period", "entered_at") else t)
                for n, t in OBSERVATION_SCHEMA.items()},
        orient="row",
    )
    # Parse dates in polars (vectorised) rather than per row in Python.
    return raw.with_columns(
        pl.col("period").str.to_date("%Y-%m-%d"),
        pl.col("entered_at")
        .str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_unit="us")
        .dt.replace_time_zone("UTC"),
    ).select(names)


def _audit_frame(rows: list[tuple], schema: dict[str, pl.DataType], *,
                 dates: tuple[str, ...], stamps: tuple[str, ...]) -> pl.DataFrame:
    """Rows of a Zielwert/assessment query as a frame of ``schema`` (text dates parsed)."""
    if not rows:
        return pl.DataFrame(schema=schema)
    raw = pl.DataFrame(rows, schema={n: (pl.String if n in dates + stamps else t)
                                     for n, t in schema.items()}, orient="row")
    return raw.with_columns(
        *[pl.col(c).str.to_date("%Y-%m-%d") for c in dates],
        *[pl.col(c).str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_unit="us")
          .dt.replace_time_zone("UTC") for c in stamps],
    )


def default_user() -> str:
    """Who is entering values when nobody says: ``WORKBENCH_USER`` or the OS login (without a
    hub; see :func:`workbench.access.local_login`)."""
    return local_login()
