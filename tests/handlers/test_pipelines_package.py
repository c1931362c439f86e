"""GET pipelines/{id}/versions/{vid}/package: the version's spec back as YAML a person can
save, upload again or compare (what KFP stores, in the compiler's layout)."""

import yaml

from tests.handlers.pipelines_fixtures import *  # noqa: F401,F403
from tests.handlers.pipelines_fixtures import error_of


async def test_download_returns_the_stored_spec(kfp, sb, namespace, scaler_yaml):
    await kfp.connect()
    code, first = await kfp.upload(scaler_yaml, "scaler.yaml", name="scaler-pkg")
    assert code in (200, 201), first
    pid = first["pipeline"]["id"]
    vid = first["version"]["id"]
    code, body = await kfp("GET", f"pipelines/{pid}/versions/{vid}/package")
    assert code == 200, body
    assert body["filename"].endswith(".yaml") and "/" not in body["filename"]
    docs = [d for d in yaml.safe_load_all(body["yaml"]) if d]
    original = [d for d in yaml.safe_load_all(scaler_yaml) if d]
    assert docs[0]["pipelineInfo"] == original[0]["pipelineInfo"]
    assert docs[0]["root"] == original[0]["root"]
    missing = "00000000-0000-4000-8000-000000000000"  # an id (not one is refused as bad_request)
    code, body = await kfp("GET", f"pipelines/{pid}/versions/{missing}/package")
    assert code == 404 and error_of(body)["code"] == "not_found", body
