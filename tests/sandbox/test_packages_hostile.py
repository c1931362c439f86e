"""The package reader against hostile files: every one refused within a second or two, in
bounded memory, with an ``invalid_package`` / ``package_too_large`` reason (never a crash)."""

import time

import pytest

from jupyter_kfp_connect import packages
from tests.hostile.packages import cases, task_chain
from tests.memory import peak_growth_mb

CASES = cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_package_is_refused_quickly(name):
    data, filename = CASES[name]
    started = time.monotonic()
    with peak_growth_mb() as grown, pytest.raises(packages.InvalidPackage) as refused:
        packages.read_package(data, filename)
    assert time.monotonic() - started < 2.0
    grown_mb = grown()
    assert grown_mb < 200, f"{name} took {grown_mb:.0f} MB"
    assert refused.value.code in ("invalid_package", "package_too_large")
    assert len(refused.value.reason) < 400  # a sentence, not a dump of the input


def test_wrong_type_names_the_field():
    data, filename = CASES["wrong-types-dependencies-a-number"]
    with pytest.raises(packages.InvalidPackage, match=r"root\.dag\.tasks\.a\.dependentTasks must be a list"):
        packages.read_package(data, filename)


def test_pipeline_yaml_is_found_after_a_first_member_that_is_not_yaml():
    """KFP's DecompressPipelineTarball looks for pipeline.yaml first, the first member second."""
    import io
    import tarfile

    spec = b"schemaVersion: 2.1.0\npipelineInfo: {name: found}\nroot: {dag: {tasks: {}}}\n"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in (("README.md", b"hi"), ("pipeline.yaml", spec)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    assert packages.read_package(buffer.getvalue(), "p.tar.gz").name == "found"


def test_a_few_aliases_are_fine():
    text = (b"schemaVersion: 2.1.0\npipelineInfo: {name: p}\nroot:\n  inputDefinitions:\n"
            b"    parameters:\n      a: &param {parameterType: STRING}\n      b: *param\n")
    summary = packages.summarize(packages.read_package(text, "p.yaml").pipeline_spec)
    assert [p["name"] for p in summary["parameters"]] == ["a", "b"]


def test_a_long_chain_of_tasks_is_read_and_summarized_quickly():
    """8,000 tasks in a chain: read and summarized (in the worker, for the validate answer) in
    well under 2 s, and the summary lists at most MAX_SUMMARY_ITEMS of them, saying so."""
    data = task_chain(8_000)
    started = time.monotonic()
    package = packages.read_package(data, "chain.yaml", with_summary=True)
    assert time.monotonic() - started < 1.0
    summary = package.summary
    limit = packages.MAX_SUMMARY_ITEMS
    assert summary["truncated"] is True
    assert summary["counts"] == {"tasks": 8_000, "parameters": 0, "artifacts": 0}
    assert [t["name"] for t in summary["tasks"]] == [f"t{i}" for i in range(limit)]
    assert len(summary["dag"]["nodes"]) == limit
    assert len(summary["dag"]["edges"]) == limit - 1  # none to a task left out
    started = time.monotonic()
    whole = packages.summarize(package.pipeline_spec)  # the run form's: every task, no limit
    assert time.monotonic() - started < 1.0
    assert whole["truncated"] is False and len(whole["tasks"]) == 8_000


@pytest.mark.parametrize("name", ["many-members", "many-members-zip"])
def test_an_archive_of_many_members_is_refused_by_its_count(name):
    # The count is checked before the members are read (a zip's entries are counted before
    # the archive is opened): without it, both were refused later, for their first member.
    data, filename = CASES[name]
    with pytest.raises(packages.InvalidPackage) as refused:
        packages.read_package(data, filename)
    assert "1,000" in refused.value.reason, refused.value.reason
