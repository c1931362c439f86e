"""The server's answers, recorded from the real handlers against the sandbox, are what the
front end's Jest tests use as their fake server (``src/__tests__/recorded/answers.json``).

This test records them again and compares: when an answer's shape or words change, it fails
until the recording is renewed (``KFP_CONNECT_RECORD=1 pytest tests/handlers/test_recorded_answers.py``)
and the Jest tests pass against the new one. So the Jest fakes cannot drift from the server.
"""

import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.handlers.pipelines_fixtures import *  # noqa: F401,F403
from tests.handlers.pipelines_fixtures import NAMESPACE, PASSWORD, USER

RECORDING = Path(__file__).resolve().parents[2] / "src" / "__tests__" / "recorded" / "answers.json"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
GATEWAY = "https://kubeflow.example.com"
VOLATILE = {"connected_at": 1767225600.0, "next_page_token": "next-page-token"}


class Normaliser:
    """Makes a recording independent of the run: ids numbered in order of first appearance,
    one time, the sandbox's address replaced by a gateway's."""

    def __init__(self, sandbox_url: str) -> None:
        self.sandbox_url = sandbox_url
        self.ids: dict[str, str] = {}

    def __call__(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v, key) for v in value]
        if key in VOLATILE and value:
            return VOLATILE[key]
        if isinstance(value, str):
            value = value.replace(self.sandbox_url, GATEWAY)
            value = UUID.sub(self._id, value)
            return ISO_TIME.sub("2026-01-01T00:00:00Z", value)
        return value

    def _id(self, match: re.Match) -> str:
        found = match.group(0)
        if found not in self.ids:
            self.ids[found] = str(uuid.UUID(int=len(self.ids) + 1))
        return self.ids[found]


async def record(kfp, sb, scaler_yaml) -> dict[str, Any]:
    answers: dict[str, Any] = {}

    async def take(name: str, expected: int, method: str, path: str, body: Any = None, **params):
        code, answer = await kfp(method, path, body, **params)
        assert code == expected, (name, code, answer)
        answers[name] = answer
        return answer

    await take("status_signed_out", 200, "GET", "status")
    await take("error_not_signed_in", 401, "GET", "pipelines")
    await take("error_invalid_credentials", 401, "POST", "login",
               {"auth": "dex", "username": USER, "password": "not-the-password"})
    await take("status_connected", 200, "POST", "login",
               {"auth": "dex", "username": USER, "password": PASSWORD})
    await take("namespaces", 200, "GET", "namespaces")

    code, created = await kfp.upload(scaler_yaml, "scaler.yaml", name="scaler")
    assert code == 201, created
    answers["upload_created"] = created
    sb.controls.seed(NAMESPACE, 2, prefix="pipeline")
    await take("pipelines_page", 200, "GET", "pipelines", page_size="2", sort_by="display_name asc")
    pid, vid = created["pipeline"]["id"], created["version"]["id"]
    await take("pipeline_detail", 200, "GET", f"pipelines/{pid}")
    await take("version_detail", 200, "GET", f"pipelines/{pid}/versions/{vid}")
    code, answers["validate_ok"] = await kfp.upload(scaler_yaml, "scaler.yaml", path="validate")
    assert code == 200, answers["validate_ok"]

    code, answers["error_duplicate_name"] = await kfp.upload(scaler_yaml, "scaler.yaml", name="scaler")
    assert code == 409, answers["error_duplicate_name"]
    code, answers["error_invalid_package"] = await kfp.upload(b"not: [a pipeline", "broken.yaml")
    assert code == 400, answers["error_invalid_package"]
    await take("error_not_found", 404, "GET", f"pipelines/{uuid.uuid4()}")
    await take("error_rbac_denied", 403, "GET", "pipelines", namespace="someone-else")

    sb.controls.expire_sessions()
    await take("error_session_expired", 401, "GET", "pipelines")
    await take("status_expired", 200, "GET", "status")
    sb.stop()  # the gateway went away
    try:
        await take("error_unreachable", 502, "POST", "login",
                   {"auth": "dex", "username": USER, "password": PASSWORD})
    finally:
        sb.start()
    return answers


@pytest.mark.parametrize("kfp_mode", ["dex"], indirect=True)
async def test_recorded_answers_are_what_the_server_says(kfp, sb, scaler_yaml):
    normalise = Normaliser(sb.url)
    answers = normalise(await record(kfp, sb, scaler_yaml))
    text = json.dumps(answers, indent=2, sort_keys=True) + "\n"
    if os.environ.get("KFP_CONNECT_RECORD"):
        RECORDING.write_text(text)
    assert RECORDING.is_file(), f"no recording at {RECORDING}: run with KFP_CONNECT_RECORD=1"
    assert json.loads(RECORDING.read_text()) == answers, (
        "The server's answers changed: re-record with KFP_CONNECT_RECORD=1, review the diff of "
        f"{RECORDING.name}, and make the Jest tests pass against it.")
