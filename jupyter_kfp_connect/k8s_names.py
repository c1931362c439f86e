"""Kubernetes object names for pipelines and versions, checked before KFP sees them.

With KFP's Kubernetes-native store (``pipeline_store: "kubernetes"`` in healthz, KFP 2.14+) a
pipeline's ``name`` is a ``Pipeline`` object's name and a version's object name is
``{pipeline}-{version}``; both must be DNS-1123 subdomains (lower case letters, digits, ``-``
and ``.``, starting and ending with a letter or digit, at most 253 characters). Human text
belongs in ``display_name``. This module says whether a name is valid (with the words
Kubernetes uses), and proposes a valid name from any text so the person's text can stay as
the display name. Pure functions; imports nothing of the package.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_NAME = 253
#: apimachinery's ``IsDNS1123Subdomain`` pattern.
SUBDOMAIN_FMT = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_SUBDOMAIN = re.compile(f"^{SUBDOMAIN_FMT}$")
#: KFP's own ceilings for REST names (validation.ValidateFieldLength), below 253.
MAX_PIPELINE_NAME = 128
MAX_VERSION_NAME = 127


def name_errors(name: str) -> list[str]:
    """Why ``name`` is not a Kubernetes object name (empty list: it is one)."""
    errors = []
    if not name:
        return ["must not be empty"]
    if len(name) > MAX_NAME:
        errors.append(f"must be no more than {MAX_NAME} characters")
    if not _SUBDOMAIN.match(name):
        errors.append("must consist of lower case letters, digits, '-' or '.', and must start and "
                      "end with a letter or digit")
    return errors


def is_valid(name: str) -> bool:
    return not name_errors(name)


def propose(text: str, *, limit: int = MAX_PIPELINE_NAME) -> str:
    """A valid name that reads like ``text``: "My Pipeline (v2)" -> "my-pipeline-v2".

    Accents are folded, anything else becomes ``-``; text with nothing usable gets a short
    stable hash so two different texts never collapse to the same empty name.
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    folded = re.sub(r"[^a-z0-9.]+", "-", folded)
    folded = re.sub(r"-*\.+-*", ".", folded)  # no '-.' or '.-' around dots
    folded = re.sub(r"\.{2,}", ".", folded).strip("-.")
    if not folded:
        folded = "pipeline-" + hashlib.sha1(text.encode()).hexdigest()[:8]
    return folded[:limit].rstrip("-.") or "pipeline"


def version_object_name(pipeline: str, version: str) -> str:
    """The PipelineVersion's object name KFP gives a version created through its REST API."""
    return version if pipeline == version else f"{pipeline}-{version}"


def check(pipeline: str, version: str | None = None) -> list[dict[str, object]]:
    """Every name problem of an upload, as ``[{field, name, errors, proposed}]``."""
    found: list[dict[str, object]] = []
    errors = name_errors(pipeline)
    if errors:
        found.append({"field": "name", "name": pipeline, "errors": errors, "proposed": propose(pipeline)})
    if version is None:
        return found
    errors = name_errors(version)
    if errors:
        found.append({"field": "version_name", "name": version, "errors": errors,
                      "proposed": propose(version, limit=MAX_VERSION_NAME)})
    elif not found:
        combined = version_object_name(pipeline, version)
        if len(combined) > MAX_NAME:
            room = max(1, MAX_NAME - len(pipeline) - 1)
            found.append({"field": "version_name", "name": version,
                          "errors": [f"'{pipeline}-{version}' (the version's object name) must be no "
                                     f"more than {MAX_NAME} characters"],
                          "proposed": propose(version, limit=room)})
    return found
