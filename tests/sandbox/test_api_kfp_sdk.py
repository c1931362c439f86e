"""The real kfp SDK (kfp.Client) works against the standalone sandbox, end to end."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


@pytest.fixture
def client(sandbox):
    import kfp

    sandbox.store.run_starts_after = 0.2
    sandbox.store.run_finishes_after = 0.5
    return kfp.Client(host=sandbox.kfp_host)  # its constructor calls healthz


def test_health(client) -> None:
    health = client.get_kfp_healthz()
    assert health.multi_user is False
    assert health.pipeline_store == "database"


def test_upload_list_and_find_by_name(client, compiled) -> None:
    pipeline = client.upload_pipeline(str(compiled["tiny"]), pipeline_name="tiny-add", description="demo")
    assert pipeline.display_name == "tiny-add" and pipeline.description == "demo"
    assert pipeline.created_at is not None
    listed = client.list_pipelines()
    assert listed.total_size == 1 and listed.pipelines[0].pipeline_id == pipeline.pipeline_id
    assert client.get_pipeline_id("tiny-add") == pipeline.pipeline_id
    assert client.get_pipeline_id("nothing-like-it") is None
    versions = client.list_pipeline_versions(pipeline.pipeline_id)
    assert versions.total_size == 1
    spec = versions.pipeline_versions[0].pipeline_spec
    assert spec["pipelineInfo"]["name"] == "tiny-add" and "root" in spec


def test_duplicate_upload_is_a_conflict(client, compiled) -> None:
    import kfp_server_api

    client.upload_pipeline(str(compiled["tiny"]), pipeline_name="dup")
    with pytest.raises(kfp_server_api.ApiException) as caught:
        client.upload_pipeline(str(compiled["tiny"]), pipeline_name="dup")
    assert caught.value.status == 409
    assert "Failed to create a pipeline and a pipeline version" in caught.value.body


def test_upload_version_then_delete(client, compiled) -> None:
    import kfp_server_api

    pipeline = client.upload_pipeline(str(compiled["tiny"]), pipeline_name="versioned")
    version = client.upload_pipeline_version(str(compiled["tiny"]), pipeline_version_name="v2",
                                             pipeline_name="versioned")
    assert version.pipeline_id == pipeline.pipeline_id and version.name == "v2"
    fetched = client.get_pipeline_version(pipeline.pipeline_id, version.pipeline_version_id)
    assert fetched.display_name == "v2"
    assert client.list_pipeline_versions(pipeline.pipeline_id).total_size == 2

    with pytest.raises(kfp_server_api.ApiException) as caught:
        client.delete_pipeline(pipeline.pipeline_id)  # KFP refuses while versions remain
    assert caught.value.status == 400 and "cascade" in caught.value.body

    for item in client.list_pipeline_versions(pipeline.pipeline_id).pipeline_versions:
        client.delete_pipeline_version(pipeline.pipeline_id, item.pipeline_version_id)
    client.delete_pipeline(pipeline.pipeline_id)
    assert client.list_pipelines().total_size is None  # protojson leaves a zero count out
    with pytest.raises(kfp_server_api.ApiException) as caught:
        client.get_pipeline(pipeline.pipeline_id)
    assert caught.value.status == 404


def test_experiment_and_run_reach_succeeded(client, compiled) -> None:
    pipeline = client.upload_pipeline(str(compiled["tiny"]), pipeline_name="to-run")
    version = client.list_pipeline_versions(pipeline.pipeline_id).pipeline_versions[0]
    experiment = client.create_experiment("nightly", description="runs every night")
    assert client.create_experiment("nightly").experiment_id == experiment.experiment_id  # reused
    assert client.get_experiment(experiment_name="nightly").experiment_id == experiment.experiment_id

    run = client.run_pipeline(experiment_id=experiment.experiment_id, job_name="first",
                              pipeline_id=pipeline.pipeline_id, version_id=version.pipeline_version_id,
                              params={"x": 5})
    assert run.state == "PENDING"
    finished = client.wait_for_run_completion(run.run_id, timeout=10, sleep_duration=0.1)
    assert finished.state == "SUCCEEDED"
    assert [h.state for h in finished.state_history] == ["PENDING", "RUNNING", "SUCCEEDED"]
    assert finished.runtime_config.parameters == {"x": 5}
    runs = client.list_runs(experiment_id=experiment.experiment_id)
    assert runs.total_size == 1 and runs.runs[0].run_id == run.run_id


def test_run_from_package_files_it_under_default(client, compiled) -> None:
    result = client.create_run_from_pipeline_package(str(compiled["tiny"]), arguments={"x": 2})
    run = client.get_run(result.run_id)
    experiment = client.get_experiment(experiment_id=run.experiment_id)
    assert experiment.display_name == "Default"
    assert run.pipeline_spec["pipelineInfo"]["name"] == "tiny-add"
