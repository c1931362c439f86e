"""The sandbox's pipeline store: SQLite (stdlib), in memory or in a file that survives restarts.

Holds pipelines, versions, experiments and runs with KFP's constraints: ``(namespace, name)``
unique per pipeline, ``(pipeline, name)`` per version, ``(namespace, display_name)`` per
experiment. Like KFP's MySQL tables (``_ci`` collations), pipeline and version text columns
compare case-insensitively (``COLLATE NOCASE``: ``My-Pipe`` and ``my-pipe`` collide), and
their ``created_at`` has KFP's one-second resolution (``CreatedAtInSec``): rows made in the
same second tie, and listings break ties by id (KFP orders by the UUID), not by creation. One connection behind a lock: the sandbox's tornado thread and test code (seed,
clear) may call it at once, and SQLite serialises writes anyway.
"""

from __future__ import annotations

import itertools
import json
import random
import sqlite3
import threading
import time
import uuid
from typing import Any, Iterable

from . import runplan
from .base import ApiError
from .filters import Listing, ListQuery

PIPELINES = Listing("Pipeline", {
    "pipeline_id": "id", "id": "id", "display_name": "display_name", "name": "name",
    "created_at": "created_at", "description": "description", "namespace": "namespace",
}, plural="pipelines")
VERSIONS = Listing("PipelineVersion", {
    "pipeline_version_id": "id", "id": "id", "display_name": "display_name", "name": "name",
    "created_at": "created_at", "description": "description", "pipeline_id": "pipeline_id",
}, plural="pipeline versions")
EXPERIMENTS = Listing("Experiment", {
    "experiment_id": "id", "id": "id", "display_name": "display_name", "name": "display_name",
    "created_at": "created_at", "description": "description", "namespace": "namespace",
    "storage_state": "storage_state", "last_run_created_at": "last_run_created_at",
}, time_columns=frozenset({"created_at", "last_run_created_at"}))
RUNS = Listing("Run", {
    "run_id": "id", "id": "id", "display_name": "display_name", "name": "display_name",
    "created_at": "created_at", "description": "description", "experiment_id": "experiment_id",
    "namespace": "namespace", "storage_state": "storage_state",
    # KFP's run listing (model/run.go) filters by these only: no pipeline or version.
    "state": "state", "recurring_run_id": "recurring_run_id",
    "scheduled_at": "scheduled_at", "finished_at": "finished_at",
}, time_columns=frozenset({"created_at", "scheduled_at", "finished_at"}),
   # A run's state follows from its plan and the clock (see runplan.py), so it is computed.
   source="(SELECT *, run_state(events) AS state, created_at AS scheduled_at, "
          "run_finished_at(events) AS finished_at, '' AS recurring_run_id FROM runs)")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pipelines (
  id TEXT PRIMARY KEY, namespace TEXT NOT NULL COLLATE NOCASE, name TEXT NOT NULL COLLATE NOCASE,
  display_name TEXT NOT NULL COLLATE NOCASE, description TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
  created_at INTEGER NOT NULL, tags TEXT,
  UNIQUE (namespace, name));
CREATE INDEX IF NOT EXISTS pipelines_by_created ON pipelines (namespace, created_at, id);
CREATE INDEX IF NOT EXISTS pipelines_by_display ON pipelines (namespace, display_name, id);
CREATE TABLE IF NOT EXISTS versions (
  id TEXT PRIMARY KEY, pipeline_id TEXT NOT NULL REFERENCES pipelines(id),
  name TEXT NOT NULL COLLATE NOCASE, display_name TEXT NOT NULL COLLATE NOCASE,
  description TEXT NOT NULL DEFAULT '' COLLATE NOCASE, created_at INTEGER NOT NULL,
  pipeline_spec TEXT NOT NULL, platform_spec TEXT, code_source_url TEXT, package_url TEXT, tags TEXT,
  UNIQUE (pipeline_id, name));
CREATE INDEX IF NOT EXISTS versions_by_created ON versions (pipeline_id, created_at, id);
CREATE TABLE IF NOT EXISTS experiments (
  id TEXT PRIMARY KEY, namespace TEXT NOT NULL, display_name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL,
  storage_state TEXT NOT NULL DEFAULT 'AVAILABLE', last_run_created_at INTEGER NOT NULL DEFAULT 0,
  UNIQUE (namespace, display_name));
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, experiment_id TEXT NOT NULL, namespace TEXT NOT NULL,
  display_name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', pipeline_id TEXT,
  pipeline_version_id TEXT, pipeline_spec TEXT, runtime_config TEXT, service_account TEXT,
  created_at INTEGER NOT NULL, storage_state TEXT NOT NULL DEFAULT 'AVAILABLE',
  events TEXT NOT NULL DEFAULT '[]', plan TEXT NOT NULL DEFAULT '{}');
CREATE INDEX IF NOT EXISTS runs_by_experiment ON runs (experiment_id, created_at, id);
CREATE INDEX IF NOT EXISTS runs_by_namespace ON runs (namespace, created_at, id);
-- covers COUNT(*) of a namespace's available runs without reading the (large) plan rows
CREATE INDEX IF NOT EXISTS runs_by_storage ON runs (namespace, storage_state, created_at, id);
"""
_RUN_COLUMNS = ("id", "experiment_id", "namespace", "display_name", "description", "pipeline_id",
                "pipeline_version_id", "pipeline_spec", "runtime_config", "service_account",
                "created_at", "storage_state", "events", "plan")

_TABLES = ("runs", "experiments", "versions", "pipelines")


def _seed_spec(name: str) -> dict[str, Any]:
    """A minimal valid compiled pipeline for seeded versions (one echo task, one parameter)."""
    return {
        "components": {"comp-echo": {"executorLabel": "exec-echo", "inputDefinitions": {
            "parameters": {"message": {"parameterType": "STRING"}}}}},
        "deploymentSpec": {"executors": {"exec-echo": {"container": {
            "image": "alpine", "command": ["echo"], "args": ["{{$.inputs.parameters['message']}}"]}}}},
        "pipelineInfo": {"name": name},
        "root": {
            "dag": {"tasks": {"echo": {
                "componentRef": {"name": "comp-echo"}, "taskInfo": {"name": "echo"},
                "inputs": {"parameters": {"message": {"componentInputParameter": "message"}}}}}},
            "inputDefinitions": {"parameters": {"message": {
                "parameterType": "STRING", "defaultValue": "hello", "isOptional": True}}},
        },
        "schemaVersion": "2.1.0",
        "sdkVersion": "kfp-2.17.0",
    }


class Store:
    """All sandbox state. Rows come back as dicts with the column names above; the API
    layer shapes them into KFP's JSON. Times are integer microseconds since the epoch."""

    #: Rows that tie on the sort column come back in id order, as KFP's ORDER BY <sort>, UUID
    #: gives them. True shuffles them within each page instead, for tests that must not
    #: depend on any tie order (KFP's "latest" single-row queries leave ties to MySQL).
    shuffle_ties: bool = False

    #: a run is PENDING until this many seconds after creation, then RUNNING ...
    run_starts_after: float = 1.0
    #: ... and SUCCEEDED from this many seconds after creation (its tasks in between).
    run_finishes_after: float = 3.0
    #: a terminated run is CANCELING this long, then FAILED (Argo stopping its pods).
    terminate_settles_after: float = 0.5
    #: standalone KFP creates the "Default" experiment at start-up (main.go); multi-user does not.
    default_experiment_at_start: bool = False

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.create_function("run_state", 1, lambda events: self._events_state(events)[0],
                                 deterministic=True)  # lets SQLite flatten the runs view
        self._db.create_function("run_finished_at", 1, lambda events: self._events_state(events)[1],
                                 deterministic=True)
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._migrate()
        self._last_time = 0
        self._seed_end = 0
        #: outcomes chosen before a run exists, by display name (``controls.run_outcome``)
        self.pending_outcomes: dict[str, dict[str, Any]] = {}

    def _migrate(self) -> None:
        """A file store written before runs had plans gains the columns (its old runs stay
        PENDING-less: they show as finished)."""
        have = {r[1] for r in self._db.execute("PRAGMA table_info(runs)")}
        for column, default in (("events", "'[]'"), ("plan", "'{}'")):
            if column not in have:
                self._db.execute(f"ALTER TABLE runs ADD COLUMN {column} TEXT NOT NULL DEFAULT {default}")

    @staticmethod
    def _events_state(events: str) -> tuple[str, int]:
        state, since = runplan.state_at(json.loads(events or "[]"), time.time_ns() // 1000)
        return state, since if state in runplan.FINAL_STATES else 0

    # --- plumbing ------------------------------------------------------------------------
    def _now(self) -> int:
        """Strictly increasing microseconds, so creation order is also sort order."""
        with self._lock:
            now = max(time.time_ns() // 1000, self._last_time + 1)
            self._last_time = now
            return now

    def _now_second(self) -> int:
        """KFP's ``CreatedAtInSec``: the current whole second (in microseconds, the store's
        unit), so rows made within one second tie."""
        return (time.time_ns() // 1_000_000_000) * 1_000_000

    def _tx(self):
        return _Transaction(self)

    def _one(self, sql: str, params: Iterable[Any] = ()) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(sql, tuple(params)).fetchone()
        return dict(row) if row else None

    def _list(self, table: str, scope: list[str], scope_params: list[Any],
              query: ListQuery) -> tuple[list[dict[str, Any]], int, str]:
        clauses, params = query.where()
        table = query.listing.source or table
        where = " AND ".join(scope + clauses) or "1"
        page, page_params = query.page_clause()
        page_where = f"{where} AND {page}" if page else where
        with self._lock:
            total = self._db.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}",
                                     scope_params + params).fetchone()[0]
            rows = [dict(r) for r in self._db.execute(
                f"SELECT * FROM {table} WHERE {page_where} ORDER BY {query.order_by()} LIMIT ?",
                scope_params + params + page_params + [query.page_size + 1])]
        token = query.next_token(rows[query.page_size]) if len(rows) > query.page_size else ""
        page = rows[:query.page_size]
        return (_shuffle_ties(page, query.sort_column) if self.shuffle_ties else page), total, token

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- pipelines -----------------------------------------------------------------------
    def create_pipeline(self, namespace: str, name: str, display_name: str = "",
                        description: str = "", tags: dict[str, str] | None = None) -> dict[str, Any]:
        with self._tx() as db:
            return self._insert_pipeline(db, namespace, name, display_name, description, tags)

    def _insert_pipeline(self, db: sqlite3.Connection, namespace: str, name: str, display_name: str,
                         description: str, tags: dict[str, str] | None,
                         with_version: bool = False) -> dict[str, Any]:
        row = {"id": str(uuid.uuid4()), "namespace": namespace, "name": name,
               "display_name": display_name or name, "description": description or "",
               "created_at": self._now_second(), "tags": json.dumps(tags) if tags else None}
        try:
            db.execute("INSERT INTO pipelines VALUES (:id, :namespace, :name, :display_name, "
                       ":description, :created_at, :tags)", row)
        except sqlite3.IntegrityError as exc:
            # KFP's PipelineStore: "exists" when made with its first version, "exist" alone
            verb = "exists" if with_version else "exist"
            external = f"Failed to create a new pipeline. The name {name} already {verb}. Please specify a new name"
            raise ApiError(409, f"Already exist error: {external}", external=external) from exc
        return row

    def create_pipeline_and_version(self, namespace: str, name: str, display_name: str,
                                    description: str, pipeline_spec: dict[str, Any],
                                    platform_spec: dict[str, Any] | None = None,
                                    tags: dict[str, str] | None = None,
                                    package_url: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        """KFP's upload: the pipeline and its first version (same name) in one transaction."""
        with self._tx() as db:
            pipeline = self._insert_pipeline(db, namespace, name, display_name, description, tags,
                                             with_version=True)
            version = self._insert_version(db, pipeline["id"], name, display_name, description,
                                           pipeline_spec, platform_spec, None, package_url, None)
        return pipeline, version

    def get_pipeline(self, pipeline_id: str) -> dict[str, Any]:
        row = self._one("SELECT * FROM pipelines WHERE id = ?", [pipeline_id])
        if row is None:
            raise _not_found("Pipeline", pipeline_id).wrap(f"Failed to get a pipeline with id {pipeline_id}")
        return row

    def get_pipeline_by_name(self, namespace: str, name: str) -> dict[str, Any]:
        """KFP's ``GetPipelineByNameAndNamespace``: the name compared case-insensitively, and
        an empty namespace matches *every* namespace (the newest such pipeline wins; KFP
        leaves ties to MySQL, the sandbox to the id)."""
        sql, params = "SELECT * FROM pipelines WHERE name = ?", [name]
        if namespace:
            sql, params = sql + " AND namespace = ?", params + [namespace]
        row = self._one(sql + " ORDER BY created_at DESC, id DESC LIMIT 1", params)
        if row is None:
            raise _not_found("Namespace/Pipeline", f"{namespace}/{name}").wrap(
                f"Failed to get a pipeline named {name} in namespace {namespace}")
        return row

    def list_pipelines(self, namespace: str, query: ListQuery):
        return self._list("pipelines", ["namespace = ?"], [namespace], query)

    def update_pipeline(self, pipeline_id: str, display_name: str = "",
                        tags: dict[str, str] | None = None) -> dict[str, Any]:
        self.get_pipeline(pipeline_id)
        with self._tx() as db:
            if display_name:
                db.execute("UPDATE pipelines SET display_name = ? WHERE id = ?", [display_name, pipeline_id])
            if tags is not None:
                db.execute("UPDATE pipelines SET tags = ? WHERE id = ?", [json.dumps(tags), pipeline_id])
        return self.get_pipeline(pipeline_id)

    def delete_pipeline(self, pipeline_id: str, cascade: bool = False) -> None:
        """KFP refuses to delete a pipeline that still has versions unless ``cascade``."""
        if self._one("SELECT id FROM pipelines WHERE id = ?", [pipeline_id]) is None:
            raise _not_found("Pipeline", pipeline_id).wrap(
                f"Failed to delete pipeline with id {pipeline_id} as it was not found")
        with self._tx() as db:
            latest = db.execute("SELECT id FROM versions WHERE pipeline_id = ? ORDER BY created_at DESC "
                                "LIMIT 1", [pipeline_id]).fetchone()
            if latest and not cascade:
                external = (f"Failed to delete pipeline with id {pipeline_id} as it has existing pipeline "
                            f"versions (e.g. {latest[0]}). Set cascade=true to delete all versions")
                raise ApiError(400, f"Invalid input error: {external}", external=external)
            db.execute("DELETE FROM versions WHERE pipeline_id = ?", [pipeline_id])
            db.execute("DELETE FROM pipelines WHERE id = ?", [pipeline_id])

    # --- versions ------------------------------------------------------------------------
    def create_version(self, pipeline_id: str, name: str, display_name: str, description: str,
                       pipeline_spec: dict[str, Any], platform_spec: dict[str, Any] | None = None,
                       code_source_url: str | None = None, package_url: str | None = None,
                       tags: dict[str, str] | None = None) -> dict[str, Any]:
        self.get_pipeline(pipeline_id)
        with self._tx() as db:
            return self._insert_version(db, pipeline_id, name, display_name, description,
                                        pipeline_spec, platform_spec, code_source_url, package_url, tags)

    def _insert_version(self, db: sqlite3.Connection, pipeline_id: str, name: str, display_name: str,
                        description: str, pipeline_spec: dict[str, Any],
                        platform_spec: dict[str, Any] | None, code_source_url: str | None,
                        package_url: str | None, tags: dict[str, str] | None) -> dict[str, Any]:
        row = {"id": str(uuid.uuid4()), "pipeline_id": pipeline_id, "name": name,
               "display_name": display_name or name, "description": description or "",
               "created_at": self._now_second(), "pipeline_spec": json.dumps(pipeline_spec),
               "platform_spec": json.dumps(platform_spec) if platform_spec else None,
               "code_source_url": code_source_url, "package_url": package_url,
               "tags": json.dumps(tags) if tags else None}
        try:
            db.execute("INSERT INTO versions VALUES (:id, :pipeline_id, :name, :display_name, "
                       ":description, :created_at, :pipeline_spec, :platform_spec, "
                       ":code_source_url, :package_url, :tags)", row)
        except sqlite3.IntegrityError as exc:
            external = f"Failed to create a new pipeline version. The name {name} already exist. Specify a new name"
            raise ApiError(409, f"Already exist error: {external}", external=external) from exc
        return row

    def get_version(self, version_id: str) -> dict[str, Any]:
        row = self._one("SELECT * FROM versions WHERE id = ?", [version_id])
        if row is None:
            raise _not_found("PipelineVersion", version_id).wrap(
                f"Failed to get a pipeline version with id {version_id}")
        return row

    def latest_version(self, pipeline_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM versions WHERE pipeline_id = ? ORDER BY created_at DESC, id DESC "
                         "LIMIT 1", [pipeline_id])

    def list_versions(self, pipeline_id: str, query: ListQuery):
        return self._list("versions", ["pipeline_id = ?"], [pipeline_id], query)

    def delete_version(self, version_id: str) -> None:
        self.get_version(version_id)
        with self._tx() as db:
            db.execute("DELETE FROM versions WHERE id = ?", [version_id])

    # --- experiments ---------------------------------------------------------------------
    def create_experiment(self, namespace: str, display_name: str, description: str = "") -> dict[str, Any]:
        row = {"id": str(uuid.uuid4()), "namespace": namespace, "display_name": display_name,
               "description": description or "", "created_at": self._now(),
               "storage_state": "AVAILABLE", "last_run_created_at": 0}
        try:
            with self._tx() as db:
                db.execute("INSERT INTO experiments VALUES (:id, :namespace, :display_name, "
                           ":description, :created_at, :storage_state, :last_run_created_at)", row)
        except sqlite3.IntegrityError as exc:
            raise ApiError(409, f"Failed to create a new experiment. The name {display_name} already "
                                "exists. Please specify a new name") from exc
        return row

    def get_experiment(self, experiment_id: str) -> dict[str, Any]:
        row = self._one("SELECT * FROM experiments WHERE id = ?", [experiment_id])
        if row is None:
            raise ApiError(404, f"Experiment {experiment_id} not found")
        return row

    def default_experiment(self, namespace: str) -> dict[str, Any]:
        """KFP files runs without an experiment under "Default"."""
        row = self._one("SELECT * FROM experiments WHERE namespace = ? AND display_name = 'Default'",
                        [namespace])
        return row or self.create_experiment(namespace, "Default", "All runs created without "
                                             "specifying an experiment will be grouped here.")

    def list_experiments(self, namespace: str, query: ListQuery):
        return self._list("experiments", ["namespace = ?"], [namespace], query)

    def delete_experiment(self, experiment_id: str) -> None:
        self.get_experiment(experiment_id)
        with self._tx() as db:
            db.execute("DELETE FROM runs WHERE experiment_id = ?", [experiment_id])
            db.execute("DELETE FROM experiments WHERE id = ?", [experiment_id])

    def set_experiment_storage(self, experiment_id: str, state: str) -> None:
        self.get_experiment(experiment_id)
        with self._tx() as db:
            db.execute("UPDATE experiments SET storage_state = ? WHERE id = ?", [state, experiment_id])
            db.execute("UPDATE runs SET storage_state = ? WHERE experiment_id = ?", [state, experiment_id])

    # --- runs ----------------------------------------------------------------------------
    def create_run(self, experiment_id: str, namespace: str, display_name: str, description: str = "",
                   pipeline_id: str | None = None, pipeline_version_id: str | None = None,
                   pipeline_spec: dict[str, Any] | None = None,
                   runtime_config: dict[str, Any] | None = None,
                   service_account: str | None = None,
                   spec_for_plan: dict[str, Any] | None = None) -> dict[str, Any]:
        """A new run; its plan comes from ``spec_for_plan`` (the spec it runs) and the outcome
        a test chose for its display name, if any."""
        run_id = str(uuid.uuid4())
        created = self._now()
        plan = runplan.new_plan(run_id, spec_for_plan or pipeline_spec, created, self.run_starts_after,
                                self.run_finishes_after, self.pending_outcomes.get(display_name))
        row = {"id": run_id, "experiment_id": experiment_id, "namespace": namespace,
               "display_name": display_name, "description": description or "",
               "pipeline_id": pipeline_id, "pipeline_version_id": pipeline_version_id,
               "pipeline_spec": json.dumps(pipeline_spec) if pipeline_spec else None,
               "runtime_config": json.dumps(runtime_config) if runtime_config else None,
               "service_account": service_account, "created_at": created,
               "storage_state": "AVAILABLE", "events": json.dumps(plan["events"]),
               "plan": json.dumps(plan)}
        with self._tx() as db:
            db.execute(f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES "
                       f"({', '.join(':' + c for c in _RUN_COLUMNS)})", row)
            db.execute("UPDATE experiments SET last_run_created_at = ? WHERE id = ?",
                       [row["created_at"], experiment_id])
        return row

    def get_run(self, run_id: str) -> dict[str, Any]:
        row = self._one("SELECT * FROM runs WHERE id = ?", [run_id])
        if row is None:
            raise ApiError(404, f"Run {run_id} not found")
        return row

    def find_runs(self, id_or_name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._db.execute(
                "SELECT * FROM runs WHERE id = ? OR display_name = ?", [id_or_name, id_or_name])]

    def list_runs(self, namespace: str | None, experiment_id: str, query: ListQuery):
        scope, params = [], []
        if experiment_id:
            scope, params = ["experiment_id = ?"], [experiment_id]
        elif namespace is not None:
            scope, params = ["namespace = ?"], [namespace]
        return self._list("runs", scope, params, query)

    def delete_run(self, run_id: str) -> None:
        self.get_run(run_id)
        with self._tx() as db:
            db.execute("DELETE FROM runs WHERE id = ?", [run_id])

    def run_view(self, row: dict[str, Any], now_us: int | None = None) -> dict[str, Any]:
        """The run as KFP would report it now (state, history, finish time, tasks)."""
        now_us = now_us if now_us is not None else time.time_ns() // 1000
        plan = json.loads(row.get("plan") or "{}")
        if not plan.get("events"):  # a run stored before plans: finished long ago
            return {"state": "SUCCEEDED", "finished_at": row["created_at"], "history": [
                {"t": row["created_at"], "state": "SUCCEEDED"}], "tasks": [], "error": ""}
        return runplan.visible(plan, now_us)

    def run_state(self, row: dict[str, Any], now_us: int | None = None) -> tuple[str, int | None]:
        view = self.run_view(row, now_us)
        return view["state"], view["finished_at"] or None

    def _save_plan(self, run_id: str, plan: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute("UPDATE runs SET plan = ?, events = ? WHERE id = ?",
                       [json.dumps(plan), json.dumps(plan["events"]), run_id])

    def terminate_run(self, run_id: str) -> None:
        """KFP's run store: only a PAUSED, PENDING, RUNNING or unspecified run is terminated;
        any other is "Row not found" (an invalid-argument error)."""
        with self._lock:
            row = self.get_run(run_id)
            now = time.time_ns() // 1000
            if self.run_view(row, now)["state"] not in runplan.TERMINABLE_STATES:
                raise ApiError(400, f"Failed to terminate run {run_id}: Failed to terminate a run "
                                    f"{run_id}. Row not found")
            plan = json.loads(row["plan"])
            runplan.terminate(plan, now, self.terminate_settles_after)
            self._save_plan(run_id, plan)

    def retry_run(self, run_id: str) -> None:
        """Argo retries only a Failed/Error workflow (KFP's GenerateRetryExecution)."""
        with self._lock:
            row = self.get_run(run_id)
            now = time.time_ns() // 1000
            if self.run_view(row, now)["state"] != "FAILED":
                raise ApiError(400, f"Failed to retry run {run_id}: Workflow must be Failed/Error to "
                                    "retry: workflow cannot be retried")
            plan = json.loads(row["plan"])
            runplan.retry(plan, now, self.run_finishes_after - self.run_starts_after,
                          self.pending_outcomes.get(row["display_name"], {}).get("retry"))
            self._save_plan(run_id, plan)

    def set_run_storage(self, run_id: str, state: str) -> None:
        row = self.get_run(run_id)
        if state == "AVAILABLE":
            experiment = self._one("SELECT * FROM experiments WHERE id = ?", [row["experiment_id"]])
            if experiment and experiment["storage_state"] == "ARCHIVED":
                raise ApiError(400, f"Failed to unarchive run {run_id} as experiment "
                                    f"{row['experiment_id']} must be un-archived first: Unarchive the "
                                    "experiment first to allow the run to be restored", code=9)
        with self._tx() as db:
            db.execute("UPDATE runs SET storage_state = ? WHERE id = ?", [state, run_id])

    def set_run_outcome(self, run: str, state: str, task: str | None = None,
                        retry: dict[str, Any] | None = None) -> list[str]:
        """Choose how a run ends: FAILED (at ``task``, or its last task) or SUCCEEDED.
        ``run`` is a run id or a display name; for a name, runs created later get it too.
        ``retry`` is the outcome of a retry (default: it succeeds). Returns the runs changed."""
        state = state.upper()
        if state not in ("SUCCEEDED", "FAILED"):
            raise ValueError("state must be SUCCEEDED or FAILED")
        outcome = {"state": state, "task": task, "retry": retry}
        changed = []
        with self._lock:
            rows = self.find_runs(run)
            if not any(r["id"] == run for r in rows):
                self.pending_outcomes[run] = outcome
            now = time.time_ns() // 1000
            for row in rows:
                plan = json.loads(row["plan"])
                if not plan.get("events") or self.run_view(row, now)["state"] in runplan.FINAL_STATES:
                    continue
                spec = self._run_spec(row)
                fresh = runplan.new_plan(row["id"], spec, row["created_at"], self.run_starts_after,
                                         self.run_finishes_after, outcome)
                for old, new in zip([plan["root"], *plan["tasks"]], [fresh["root"], *fresh["tasks"]]):
                    new["task_id"], new["pod_name"] = old["task_id"], old["pod_name"]
                self._save_plan(row["id"], fresh)
                changed.append(row["id"])
        return changed

    def _run_spec(self, row: dict[str, Any]) -> dict[str, Any] | None:
        if row.get("pipeline_spec"):
            return json.loads(row["pipeline_spec"])
        if row.get("pipeline_version_id"):
            version = self._one("SELECT pipeline_spec FROM versions WHERE id = ?", [row["pipeline_version_id"]])
            if version:
                return json.loads(version["pipeline_spec"])
        return None

    def ensure_default_experiment(self) -> None:
        """Standalone KFP's start-up: a "Default" experiment in the empty namespace."""
        if self.default_experiment_at_start:
            self.default_experiment("")

    # --- test controls -------------------------------------------------------------------
    def seed(self, namespace: str, count: int, versions: int = 1, prefix: str = "pipeline") -> list[str]:
        """Add ``count`` pipelines named ``{prefix}-00001``... (after any already there) with
        ``versions`` versions each; one executemany per table, so 10,000 take well under 2 s."""
        with self._lock:
            taken = self._db.execute("SELECT COUNT(*) FROM pipelines WHERE namespace = ? AND name LIKE ?",
                                     [namespace, f"{prefix}-%"]).fetchone()[0]
        # One second per pipeline and per version, ending a second ago (KFP's times are whole
        # seconds, so seeded rows get distinct ones and list in seed order); a later seed
        # starts after an earlier one even if that reaches into the future.
        step = 1_000_000
        with self._lock:
            span = count * (versions + 1)
            start = max(self._now_second() - span * step, self._seed_end + step)
            self._seed_end = start + (span - 1) * step
        pipelines, version_rows = [], []
        spec_template = json.dumps(_seed_spec("\x00name\x00"))  # one encode, then text substitution
        for i in range(count):
            name = f"{prefix}-{taken + i + 1:05d}"
            pid = str(uuid.uuid4())
            created = start + i * (versions + 1) * step
            pipelines.append((pid, namespace, name, name, f"Seeded pipeline {name}", created, None))
            spec = spec_template.replace("\\u0000name\\u0000", name)
            for v in range(versions):
                version_rows.append((str(uuid.uuid4()), pid, name if v == 0 else f"{name}-v{v + 1}",
                                     name if v == 0 else f"{name}-v{v + 1}", "", created + (v + 1) * step,
                                     spec, None, None, None, None))
        with self._tx() as db:
            db.executemany("INSERT OR IGNORE INTO pipelines VALUES (?, ?, ?, ?, ?, ?, ?)", pipelines)
            db.executemany("INSERT OR IGNORE INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           version_rows)
        return [p[0] for p in pipelines]

    def seed_runs(self, experiment_id: str, count: int, version_id: str,
                  spacing: float = 5.0) -> list[str]:
        """``count`` finished runs of a version in an experiment, the newest ``spacing`` seconds
        before now and each earlier one ``spacing`` further back; one executemany."""
        experiment = self.get_experiment(experiment_id)
        version = self.get_version(version_id)
        spec = json.loads(version["pipeline_spec"])
        now = time.time_ns() // 1000
        step = int(spacing * runplan.US)
        rows, ids = [], []
        for i in range(count):
            run_id = str(uuid.uuid4())
            created = now - (count - i) * step
            plan = runplan.new_plan(run_id, spec, created, self.run_starts_after,
                                    self.run_finishes_after)
            rows.append((run_id, experiment_id, experiment["namespace"], f"seeded-run-{i + 1:05d}", "",
                         version["pipeline_id"], version_id, None, None, "pipeline-runner", created,
                         "AVAILABLE", json.dumps(plan["events"]), json.dumps(plan)))
            ids.append(run_id)
        with self._tx() as db:
            db.executemany(f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES "
                           f"({', '.join('?' * len(_RUN_COLUMNS))})", rows)
        return ids

    def clear(self) -> None:
        """Empty, as a freshly started KFP (standalone: with its Default experiment)."""
        with self._tx() as db:
            for table in _TABLES:
                db.execute(f"DELETE FROM {table}")
        self.pending_outcomes.clear()
        self.ensure_default_experiment()

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {t: self._db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in _TABLES}


def _shuffle_ties(rows: list[dict[str, Any]], column: str) -> list[dict[str, Any]]:
    """Each run of rows with the same sort value in a random order (the runs stay put)."""
    out: list[dict[str, Any]] = []
    for _, group in itertools.groupby(rows, key=lambda row: row[column]):
        tied = list(group)
        random.shuffle(tied)
        out.extend(tied)
    return out


def _not_found(kind: str, name: str) -> ApiError:
    """``util.NewResourceNotFoundError``: "<kind> <name> not found"."""
    external = f"{kind} {name} not found"
    return ApiError(404, f"ResourceNotFoundError: {external}", external=external)


class _Transaction:
    """``with store._tx() as db:`` -- one locked BEGIN/COMMIT (ROLLBACK on error)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __enter__(self) -> sqlite3.Connection:
        self.store._lock.acquire()
        self.store._db.execute("BEGIN")
        return self.store._db

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.store._db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.store._lock.release()
