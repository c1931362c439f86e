"""How a sandbox run moves: a timetable of state changes, fixed when the run starts.

KFP learns a run's progress from Argo (the persistence agent reports the workflow; its nodes
become ``run_details.task_details``). The sandbox has no Argo, so each run carries a *plan*:
the run's state changes and each task's start, end and final state, as absolute times. What
a request sees is the plan up to "now", so a run moves on its own without a background loop,
and terminate and retry rewrite the rest of the plan the way Argo would carry them out.

The root DAG's tasks run in dependency layers spread evenly between ``starts_after`` and
``finishes_after`` seconds; a failing task ends its layer FAILED, later layers never start,
and the run fails when that layer ends (Argo stops scheduling after a failure). Like KFP,
the task list also holds the root DAG node (parent of the others).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

FINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "SKIPPED", "CANCELED"})
#: KFP's run store terminates only runs in these states (run_store.go TerminateRun).
TERMINABLE_STATES = frozenset({"PAUSED", "PENDING", "RUNNING", "RUNTIME_STATE_UNSPECIFIED"})

US = 1_000_000


def spec_tasks(spec: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The root DAG's tasks as ``{name, deps}`` in a stable dependency order."""
    if not isinstance(spec, dict):
        return []
    if "root" not in spec and isinstance(spec.get("pipeline_spec"), dict):
        spec = spec["pipeline_spec"]
    tasks = ((spec.get("root") or {}).get("dag") or {}).get("tasks") or {}
    names = set(tasks)
    waiting = {n: {d for d in (t.get("dependentTasks") or []) if d in names} for n, t in tasks.items()}
    layer_of: dict[str, int] = {}
    layer = 0
    while waiting:
        ready = sorted(n for n, deps in waiting.items() if not deps) or sorted(waiting)[:1]
        for name in ready:
            layer_of[name] = layer
            del waiting[name]
        for deps in waiting.values():
            deps.difference_update(ready)
        layer += 1
    return [{"name": n, "layer": layer_of[n]} for n in sorted(layer_of, key=lambda n: (layer_of[n], n))]


def pipeline_name(spec: dict[str, Any] | None) -> str:
    if isinstance(spec, dict) and "root" not in spec and isinstance(spec.get("pipeline_spec"), dict):
        spec = spec["pipeline_spec"]
    return str(((spec or {}).get("pipelineInfo") or {}).get("name") or "pipeline")


def new_plan(run_id: str, spec: dict[str, Any] | None, created_us: int, starts_after: float,
             finishes_after: float, outcome: dict[str, Any] | None = None) -> dict[str, Any]:
    """The plan of a new run: PENDING at creation, RUNNING after ``starts_after``, the outcome
    after ``finishes_after`` (or when its failing task ends)."""
    workflow = f"{pipeline_name(spec)}-{hashlib.sha1(run_id.encode()).hexdigest()[:5]}"
    root = {"task_id": str(uuid.uuid4()), "name": workflow, "pod_name": workflow, "layer": -1,
            "events": []}
    tasks = [{"task_id": str(uuid.uuid4()), "name": t["name"], "layer": t["layer"],
              "pod_name": f"{workflow}-{int(hashlib.sha1((run_id + t['name']).encode()).hexdigest()[:8], 16)}",
              "events": []} for t in spec_tasks(spec)]
    plan = {"events": [[created_us, "PENDING"]], "root": root, "tasks": tasks}
    start = created_us + int(starts_after * US)
    end = created_us + int(max(finishes_after, starts_after) * US)
    _schedule(plan, tasks, start, end, outcome)
    return plan


def _schedule(plan: dict[str, Any], tasks: list[dict[str, Any]], start: int, end: int,
              outcome: dict[str, Any] | None) -> None:
    """Lay ``tasks`` out in their layers over [start, end] and append the run's and the root
    node's events (RUNNING at ``start``, the final state when the work ends)."""
    outcome = outcome or {}
    fail = outcome.get("state") == "FAILED"
    layers = sorted({t["layer"] for t in tasks})
    failing = outcome.get("task") if fail else None
    if fail and not failing and tasks:
        failing = tasks[-1]["name"]  # the run fails at its last task
    span = (end - start) // max(len(layers), 1)
    finished_at = end
    stop_layer = None
    for index, layer in enumerate(layers):
        if stop_layer is not None:
            break
        t0, t1 = start + index * span, start + (index + 1) * span if index < len(layers) - 1 else end
        for task in (t for t in tasks if t["layer"] == layer):
            failed = task["name"] == failing
            task["events"] += [[t0, "PENDING"], [t0, "RUNNING"], [t1, "FAILED" if failed else "SUCCEEDED"]]
            task["start"], task["end"] = t0, t1
            if failed:
                stop_layer, finished_at = layer, t1
    final = "FAILED" if fail else "SUCCEEDED"
    if not tasks:
        finished_at = end
    plan["events"] += [[start, "RUNNING"], [finished_at, final]]
    plan["root"]["events"] += [[start, "RUNNING"], [finished_at, final]]
    plan["root"].setdefault("start", start)
    plan["root"]["end"] = finished_at
    plan["error"] = (f"task {failing} failed" if failing else "the run failed") if fail else ""


def state_at(events: list[list[Any]], now_us: int) -> tuple[str, int]:
    """(state, since) from the last event at or before ``now_us``."""
    state, since = "RUNTIME_STATE_UNSPECIFIED", 0
    for when, what in events:
        if when <= now_us:
            state, since = what, when
    return state, since


def visible(plan: dict[str, Any], now_us: int) -> dict[str, Any]:
    """What KFP would report at ``now_us``: run state, history, finish time and tasks."""
    state, since = state_at(plan["events"], now_us)
    history = [{"t": w, "state": s} for w, s in plan["events"] if w <= now_us]
    tasks = []
    for task in [plan["root"], *plan["tasks"]]:
        seen = [(w, s) for w, s in task["events"] if w <= now_us]
        if not seen:
            continue  # not started yet: Argo has no node for it
        tstate = seen[-1][1]
        tasks.append({**task, "state": tstate, "history": seen,
                      "start_us": seen[0][0], "end_us": seen[-1][0] if tstate in FINAL_STATES else 0})
    if tasks and tasks[0] is not None and tasks[0]["task_id"] == plan["root"]["task_id"]:
        tasks[0]["children"] = [t["pod_name"] for t in tasks[1:]]
    return {"state": state, "finished_at": since if state in FINAL_STATES else 0, "history": history,
            "tasks": tasks, "error": plan.get("error", "") if state == "FAILED" else ""}


def terminate(plan: dict[str, Any], now_us: int, settle: float) -> None:
    """KFP marks the run CANCELING and sets the workflow's deadline to 0; Argo stops the
    running pods (their nodes fail), starts nothing more, and the workflow ends Failed."""
    done = now_us + int(settle * US)
    plan["events"] = [e for e in plan["events"] if e[0] <= now_us] + [[now_us, "CANCELING"], [done, "FAILED"]]
    for task in [plan["root"], *plan["tasks"]]:
        past = [e for e in task["events"] if e[0] <= now_us]
        if past and past[-1][1] not in FINAL_STATES:
            past.append([done, "FAILED"])
        task["events"] = past
    plan["error"] = "the run was terminated"


def retry(plan: dict[str, Any], now_us: int, duration: float,
          outcome: dict[str, Any] | None = None) -> None:
    """Argo's retry: succeeded nodes are kept, failed and never-run ones run again; the
    workflow is Running at once (KFP sets the run RUNNING and clears finished_at)."""
    again = []
    for task in plan["tasks"]:
        past = [e for e in task["events"] if e[0] <= now_us]
        if past and past[-1][1] == "SUCCEEDED":
            task["events"] = past
        else:
            task["events"] = []
            again.append(task)
    plan["root"]["events"] = [e for e in plan["root"]["events"] if e[0] <= now_us]
    plan["events"] = [e for e in plan["events"] if e[0] <= now_us]
    _schedule(plan, again, now_us, now_us + int(duration * US), outcome)
