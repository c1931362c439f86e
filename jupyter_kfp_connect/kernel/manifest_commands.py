"""``%kfp export`` and ``%kfp apply``: Kubernetes manifests of a pipeline from a notebook.

The source is an uploaded pipeline (name or id), a package file, or a ``@dsl.pipeline``
function in the kernel (compiled here, as ``%kfp upload`` does); the server writes the
manifests with kfp's own writer (``manifests/export``) and applies them with its Kubernetes
identity after a SelfSubjectAccessReview (``manifests/apply``), so the rules and diagnoses are
the panel's.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from IPython.core.error import UsageError

from ..i18n import trans

MANIFEST_API = "pipelines.kubeflow.org/v2beta1"


def add_parsers(commands: Any) -> None:
    for name, text in (
            ("export", trans.__("write Pipeline + PipelineVersion manifests (Kubernetes YAML)")),
            ("apply", trans.__("create or update those objects in the cluster (where RBAC "
                               "allows)"))):
        cmd = commands.add_parser(name, help=text)
        cmd.add_argument("source", help=trans.__(
            "an uploaded pipeline (name or id), a package file, a @dsl.pipeline function in this "
            "kernel, or a manifests file") if name == "apply" else trans.__(
            "an uploaded pipeline (name or id), a package file, a @dsl.pipeline function in this "
            "kernel"))
        cmd.add_argument("--version", default="",
                         help=trans.__("version of an uploaded pipeline (default: newest)"))
        cmd.add_argument("--name", default="", help=trans.__("Kubernetes name of the pipeline"))
        cmd.add_argument("--display-name", default="", help=trans.__("human-readable pipeline name"))
        cmd.add_argument("--version-name", default="", help=trans.__("Kubernetes name of the version"))
        cmd.add_argument("--version-display-name", default="",
                         help=trans.__("human-readable version name"))
        cmd.add_argument("--namespace", default="",
                         help=trans.__("target namespace (default: the chosen one)"))
        cmd.add_argument("--no-pipeline", action="store_true",
                         help=trans.__("the PipelineVersion only (the Pipeline exists already)"))
        if name == "export":
            cmd.add_argument("--output", "-o", default="", help=trans.__(
                "file to write (default: NAME.k8s.yaml here; '-' prints the YAML)"))


def _fields(args: argparse.Namespace) -> dict[str, str]:
    fields = {"name": args.name, "display_name": args.display_name, "version_name": args.version_name,
              "version_display_name": args.version_display_name, "namespace": args.namespace,
              "include_pipeline": "false" if args.no_pipeline else "true"}
    return {k: v for k, v in fields.items() if v}


def _request(magics: Any, endpoint: str, args: argparse.Namespace) -> Any:
    """Send the source the way the server takes it; returns the server's answer."""
    target = magics._user_object(args.source)
    fields = _fields(args)
    if (target is not None and not isinstance(target, str)) or os.path.isfile(os.path.expanduser(args.source)):
        data, filename = magics._package(args.source)  # a function is compiled as %kfp upload does
        if endpoint == "manifests/apply" and _is_manifests(data):
            return magics.link.api("POST", endpoint, json={"yaml": data.decode("utf-8"), **fields})
        return magics.link.api("POST", endpoint, files={"file": (filename, data)}, data=fields)
    # An uploaded pipeline: the server finds it by its exact name (or id), private first.
    return magics.link.api("POST", endpoint, json={"pipeline": args.source, "version": args.version, **fields})


def _is_manifests(data: bytes) -> bool:
    head = data[:4096].decode("utf-8", "ignore")
    return MANIFEST_API in head and "kind:" in head


def export(magics: Any, args: argparse.Namespace) -> None:
    from .display import Fields, show

    answer = _request(magics, "manifests/export", args)
    if args.output == "-":
        print(answer["yaml"], end="")
        return
    output = os.path.expanduser(args.output or answer["filename"])
    if os.path.isdir(output):
        output = os.path.join(output, answer["filename"])
    with open(output, "w", encoding="utf-8") as handle:
        handle.write(answer["yaml"])
    rows = [(doc["kind"], doc["name"]) for doc in answer["documents"]]
    rows += [(trans.__("renamed {field}", field=r["field"]), f"{r['from']!r} -> {r['to']!r}")
             for r in answer.get("renamed") or []]
    show(Fields([(trans.__("file"), output),
                 (trans.__("namespace"), answer.get("namespace") or trans.__("(none: set on apply)")),
                 *rows], title=trans.__("Kubernetes manifests")))


def apply(magics: Any, args: argparse.Namespace) -> None:
    from .display import Fields, show

    if not args.source:
        raise UsageError(trans.__("%kfp apply: say what to apply"))
    answer = _request(magics, "manifests/apply", args)
    rows = [(f"{r['kind']} {r['name']}", r["action"]) for r in answer["results"]]
    show(Fields([(trans.__("namespace"), answer["namespace"]), *rows],
                title=trans.__("Applied to Kubernetes")))
