"""The sandbox registry catalogue: built-in good and faulty tags, stable digests, custom YAML profiles."""

from __future__ import annotations

import json

import pytest

from apexops.errors import ConfigError, NotFoundError
from apexops.models import ImageTag
from apexops.sandbox.images import BUILTIN_TAGS, FaultProfile, ImageCatalogue, parse_image_ref


@pytest.fixture
def cat(tmp_path):
    return ImageCatalogue(tmp_path, server="apexacr.sandbox.local", repository="apex-backend")


def test_builtin_tags_newest_first_with_good_and_faulty(cat):
    tags = cat.tags()
    assert all(isinstance(t, ImageTag) for t in tags)
    names = [t.tag for t in tags]
    assert {
        "v1.2.2",
        "v1.2.3",
        "v1.2.0",
        "v1.2.1",
        "v1.2.4-errors10",
        "v1.2.4-errors2",
        "v1.2.4-slow",
        "v1.2.4-crash",
        "v1.2.4-notready",
        "v1.2.4-slowstart",
        "v1.2.4-degrade",
    } <= set(names)
    created = [t.created for t in tags]
    assert created == sorted(created, reverse=True)
    by = {t.tag: t for t in tags}
    assert by["v1.2.0"].created < by["v1.2.1"].created < by["v1.2.2"].created < by["v1.2.3"].created
    assert by["v1.2.3"].image == "apexacr.sandbox.local/apex-backend:v1.2.3"
    assert cat.get("v1.2.2").profile.is_healthy and cat.get("v1.2.3").profile.is_healthy
    assert cat.get("v1.2.2").profile.to_json() == "{}"
    assert all(not cat.get(t).profile.is_healthy for t in names if t.startswith("v1.2.4-"))
    assert cat.get("v1.2.2").description.startswith("baseline")
    assert "10%" in cat.get("v1.2.4-errors10").description


def test_faulty_profiles_declare_what_their_names_say(cat):
    assert cat.get("v1.2.4-errors10").profile.error_rate == 0.10
    assert cat.get("v1.2.4-errors2").profile.error_rate == 0.02
    slow = cat.get("v1.2.4-slow").profile
    assert (slow.latency_ms, slow.latency_share) == (2500, 0.20)
    assert cat.get("v1.2.4-crash").profile.crash_at_start
    assert cat.get("v1.2.4-notready").profile.readiness_fail
    assert cat.get("v1.2.4-slowstart").profile.slow_start_s > 0
    degrade = cat.get("v1.2.4-degrade").profile
    assert degrade.degrade_s > 0 and degrade.error_rate > 0


def test_digests_are_deterministic_and_track_the_profile(tmp_path, cat):
    again = ImageCatalogue(tmp_path / "elsewhere")
    assert [(t.tag, t.digest, t.created) for t in cat.tags()] == [
        (t.tag, t.digest, t.created) for t in again.tags()
    ]
    digests = [t.digest for t in cat.tags()]
    assert len(set(digests)) == len(digests)
    assert all(d.startswith("sha256:") and len(d) == 71 for d in digests)
    other_repo = ImageCatalogue(tmp_path, repository="apex-worker")
    assert other_repo.get("v1.2.3").digest != cat.get("v1.2.3").digest


def test_unknown_tag_error_lists_known_tags(cat):
    with pytest.raises(NotFoundError) as info:
        cat.get("v9.9.9")
    assert "v9.9.9" in str(info.value)
    assert "v1.2.2" in info.value.hint and "v1.2.3" in info.value.hint and "add_from_file" in info.value.hint


def test_resolve_full_references(cat):
    assert cat.resolve("apexacr.sandbox.local/apex-backend:v1.2.3").tag == "v1.2.3"
    digest = cat.get("v1.2.4-slow").digest
    assert cat.resolve(f"apexacr.sandbox.local/apex-backend@{digest}").tag == "v1.2.4-slow"
    with pytest.raises(NotFoundError, match="has digest"):
        cat.resolve("apexacr.sandbox.local/apex-backend@sha256:" + "0" * 64)
    with pytest.raises(NotFoundError, match="not in the sandbox registry"):
        cat.resolve(f"elsewhere.io/apex-backend@{digest}")
    with pytest.raises(NotFoundError, match="not in the sandbox registry"):
        cat.resolve("docker.io/apex-backend:v1.2.3")
    with pytest.raises(ConfigError, match="full reference"):
        parse_image_ref("apex-backend")
    assert parse_image_ref("apexacr.azurecr.io/team/apex-backend:v1") == (
        "apexacr.azurecr.io",
        "team/apex-backend",
        "v1",
    )


def test_profile_json_round_trip_and_healthy_default():
    assert (
        FaultProfile.from_json(None)
        == FaultProfile.from_json("")
        == FaultProfile.from_json("{}")
        == FaultProfile()
    )
    assert FaultProfile().is_healthy and FaultProfile().to_json() == "{}"
    for _, _, _, profile in BUILTIN_TAGS:
        assert FaultProfile.from_json(profile.to_json()) == profile
    p = FaultProfile(latency_ms=100, latency_routes=("/api/v1/documents/*",), seed=7)
    assert json.loads(p.to_json()) == {
        "latency_ms": 100,
        "latency_routes": ["/api/v1/documents/*"],
        "seed": 7,
    }
    assert FaultProfile.from_json(p.to_json()) == p
    assert FaultProfile(seed=3).is_healthy


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('{"error_rate": 1.5}', "error_rate must be between 0 and 1"),
        ('{"eror_rate": 0.1}', "unknown key eror_rate"),
        ('{"crash_at_start": "yes"}', "crash_at_start must be true or false"),
        ('{"latency_routes": ["api/*"]}', "latency_routes must be a list of route globs"),
        ('{"degrade_s": 30}', "degrade_s is set but error_rate is 0"),
        ('{"crash_after_requests": -1}', "crash_after_requests must be a whole number"),
        ("[1, 2]", "must be a mapping"),
        ("{", "not valid JSON"),
    ],
)
def test_bad_profiles_fail_with_one_line_naming_the_key(text, needle):
    with pytest.raises(ConfigError) as info:
        FaultProfile.from_json(text)
    assert needle in str(info.value) and "APEX_FAULT_PROFILE" in str(info.value)
    assert "\n" not in str(info.value)


GOOD_YAML = """
repository: apex-backend
tags:
  v1.2.5-slow-uploads:
    description: uploads take 3 s longer
    latency_ms: 3000
    latency_routes: ["/api/v1/documents/upload"]
  v1.2.5-flaky:
    error_rate: 0.05
    error_type: BlobStorageTimeoutError
"""


def test_custom_yaml_profiles_are_added_and_persisted(tmp_path, cat):
    f = tmp_path / "faults.yaml"
    f.write_text(GOOD_YAML)
    added = cat.add_from_file(f)
    assert [s.tag for s in added] == ["v1.2.5-slow-uploads", "v1.2.5-flaky"]
    assert all(not s.profile.is_healthy for s in added)
    fresh = ImageCatalogue(tmp_path)  # a new process sees them (persisted under <home>/registry/)
    assert (tmp_path / "registry" / "custom-tags.json").exists()
    slow = fresh.get("v1.2.5-slow-uploads")
    assert slow.profile.latency_ms == 3000 and slow.profile.latency_routes == ("/api/v1/documents/upload",)
    assert slow.description == "uploads take 3 s longer"
    assert fresh.get("v1.2.5-flaky").profile.error_type == "BlobStorageTimeoutError"
    assert fresh.tags()[0].tag in {"v1.2.5-slow-uploads", "v1.2.5-flaky"}  # newest first
    digest = slow.digest
    cat.add_from_file(f)  # re-adding the same file changes nothing
    assert ImageCatalogue(tmp_path).get("v1.2.5-slow-uploads").digest == digest
    f.write_text(GOOD_YAML.replace("3000", "4000"))
    cat.add_from_file(f)
    assert ImageCatalogue(tmp_path).get("v1.2.5-slow-uploads").digest != digest


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("tags:\n  v1.2.3:\n    error_rate: 0.5\n", "tags.v1.2.3 is a built-in tag"),
        ("tags:\n  v2-bad:\n    error_rate: 5\n", "tags.v2-bad.error_rate must be between 0 and 1"),
        ("tags:\n  v2-bad:\n    latency: 5\n", "unknown key tags.v2-bad.latency"),
        ("tags:\n  'bad tag!':\n    error_rate: 0.1\n", "is not a valid image tag"),
        ("tags:\n  v2-bad: 3\n", "tags.v2-bad must be a mapping"),
        ("nothing: here\n", "missing key tags"),
        ("repository: other\ntags:\n  v2: {error_rate: 0.1}\n", "repository is 'other'"),
        ("tags: [unclosed\n", "is not valid YAML"),
    ],
)
def test_bad_yaml_files_fail_with_one_line_naming_file_and_key(tmp_path, cat, body, needle):
    f = tmp_path / "bad.yaml"
    f.write_text(body)
    with pytest.raises(ConfigError) as info:
        cat.add_from_file(f)
    assert needle in str(info.value) and str(f) in str(info.value)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "registry" / "custom-tags.json").exists()  # nothing half-applied


def test_a_bad_tag_in_a_file_adds_none_of_its_tags(tmp_path, cat):
    f = tmp_path / "mixed.yaml"
    f.write_text("tags:\n  v3-ok: {error_rate: 0.1}\n  v3-bad: {error_rate: 7}\n")
    with pytest.raises(ConfigError):
        cat.add_from_file(f)
    with pytest.raises(NotFoundError):
        cat.get("v3-ok")
    with pytest.raises(ConfigError, match="cannot read"):
        cat.add_from_file(tmp_path / "missing.yaml")
