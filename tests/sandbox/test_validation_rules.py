"""Each of ACA's traffic rules alone (apexops.sandbox.validation.TRAFFIC_RULES), then the list as a whole."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from apexops.errors import TrafficError
from apexops.sandbox import validation as v

BLUE = SimpleNamespace(name="app--blue", active=True)
IDLE = SimpleNamespace(name="app--idle", active=False)
REVISIONS = {"app--blue": BLUE, "app--idle": IDLE}


def entry(name=None, weight=100, *, latest=False, label=None, target=None):
    return v._Entry(name, latest, weight, label, target)


def seen(latest_ready=BLUE, keys=(), labels=()):
    return v._Seen(REVISIONS, latest_ready, set(keys), set(labels))


@pytest.mark.parametrize("weight", [-1, 101, 99.5, True, None, "50"])
def test_weight_must_be_a_whole_percentage(weight):
    error = v._weight_is_a_percentage(entry("app--blue", weight), seen())
    assert error is not None and "is not an integer from 0 to 100" in error.message
    assert v._weight_is_a_percentage(entry("app--blue", 0), seen()) is None


def test_an_entry_names_a_revision_or_latest_not_both():
    assert "sets both" in v._name_or_latest_not_both(entry("app--blue", latest=True), seen()).message
    assert v._name_or_latest_not_both(entry(latest=True), seen()) is None


def test_latest_revision_with_weight_needs_a_ready_revision():
    assert "no revision is ready" in v._latest_is_ready(entry(latest=True), seen(latest_ready=None)).message
    assert v._latest_is_ready(entry(latest=True, weight=0), seen(latest_ready=None)) is None
    assert v._latest_is_ready(entry(latest=True), seen()) is None


def test_a_named_entry_names_a_revision():
    assert "names no revision" in v._names_a_revision(entry(None), seen()).message
    assert v._names_a_revision(entry(latest=True), seen()) is None


def test_the_named_revision_exists():
    error = v._revision_exists(entry("app--nope"), seen())
    assert "does not exist" in error.message and "app--blue, app--idle" in error.hint
    assert v._revision_exists(entry("app--blue"), seen()) is None


def test_each_revision_is_listed_once():
    assert "appears twice" in v._listed_once(entry("app--blue"), seen(keys={"app--blue"})).message
    assert (
        "latestRevision appears twice"
        in v._listed_once(entry(latest=True), seen(keys={"latestRevision"})).message
    )
    assert v._listed_once(entry("app--blue"), seen()) is None


def test_only_active_revisions_receive_weight():
    error = v._weighted_revision_is_active(entry("app--idle", 10, target=IDLE), seen())
    assert "is inactive" in error.message and "activate app--idle" in error.hint
    assert v._weighted_revision_is_active(entry("app--idle", 0, target=IDLE), seen()) is None


@pytest.mark.parametrize("label", ["Canary", "a--b", "-x", 7, "taken"])
def test_labels_are_valid_and_unique(label):
    error = v._label_is_valid_and_unique(entry("app--blue", label=label), seen(labels={"taken"}))
    assert error is not None and "is not valid or is used twice" in error.message
    assert v._label_is_valid_and_unique(entry("app--blue", label="canary-1"), seen()) is None


def test_the_list_is_normalised_and_must_sum_to_100():
    assert v.validate_traffic(
        [
            {"revision_name": "app--blue", "weight": 90, "label": "stable"},
            {"latest_revision": True, "weight": 10},
        ],
        REVISIONS,
        BLUE,
    ) == [
        {"weight": 90, "revisionName": "app--blue", "label": "stable"},
        {"weight": 10, "latestRevision": True},
    ]
    with pytest.raises(TrafficError, match="sum to 90"):
        v.validate_traffic([{"revisionName": "app--blue", "weight": 90}], REVISIONS, BLUE)
    with pytest.raises(TrafficError, match="empty"):
        v.validate_traffic([], REVISIONS, BLUE)
