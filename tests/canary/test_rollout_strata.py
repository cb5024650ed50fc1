"""The strata the rollout hands the judge, from hand-made source windows: pure, no clock, no process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apexops.canary.observation import Counts, Stratum
from apexops.canary.strata import completeness, counts_text, stratum_from_window, subtracted_probes, totals
from apexops.models import CountsWindow, RouteCounts

T0 = datetime(2026, 3, 1, 14, 0, 30, tzinfo=UTC)
NEW, OLD = "app--new", "app--old"


def row(revision, route, requests, errors, slow=0):
    return RouteCounts(revision, route, requests, errors, slow, float(requests), float(errors))


def test_users_are_compared_per_route_and_other_revisions_are_left_out():
    window = CountsWindow(
        T0,
        T0 + timedelta(seconds=100),
        (
            row(NEW, "list", 30, 1, 2),
            row(OLD, "list", 270, 2, 5),
            row(NEW, "get", 10, 0, 1),
            row(OLD, "get", 90, 0, 0),
            row(NEW, "upload", 4, 4, 0),  # a route only the canary served so far
            row("app--other", "list", 500, 500, 0),
        ),
    )
    snap = stratum_from_window("users", window, NEW, OLD, T0 + timedelta(seconds=280))
    assert snap.stratum is Stratum.USERS
    assert snap.routes == {
        "get": (Counts(10, 0, 1), Counts(90, 0, 0)),
        "list": (Counts(30, 1, 2), Counts(270, 2, 5)),
        "upload": (Counts(4, 4, 0), Counts(0, 0, 0)),
    }
    assert snap.complete_until == T0 + timedelta(seconds=100) and snap.lag_s == 180
    assert totals(snap) == (Counts(44, 5, 3), Counts(360, 2, 5))
    assert completeness(snap) == "data up to 14:02:10, lag 3 min"


def test_a_window_younger_than_the_lag_is_nothing_complete_not_zero_traffic():
    window = CountsWindow(T0, T0, ())  # the source's complete_until has not passed the stage start
    snap = stratum_from_window(Stratum.USERS, window, NEW, OLD, T0 + timedelta(seconds=20))
    assert snap.complete_until is None and snap.routes == {} and snap.lag_s == 20
    assert completeness(snap) == "no data complete yet, lag 20 s"


def test_partial_answers_stay_partial():
    window = CountsWindow(T0, T0 + timedelta(seconds=60), (row(NEW, "list", 3, 0),), partial=True)
    snap = stratum_from_window("users", window, NEW, OLD, T0 + timedelta(seconds=61))
    assert snap.partial and completeness(snap).endswith("(partial)")


def test_the_platform_loses_the_probes_it_counted_clipped_at_zero():
    since = T0  # 14:00:30: the platform's first bucket is 14:00
    complete = datetime(2026, 3, 1, 14, 3, tzinfo=UTC)  # buckets 14:00, 14:01, 14:02 published
    window = CountsWindow(
        since,
        complete,
        (
            RouteCounts(NEW, "*", 100, 12, None, 100.0, 12.0),
            RouteCounts(OLD, "*", 5, 0, None, 5.0, 0.0),
        ),
    )
    minute = datetime(2026, 3, 1, 14, 0, tzinfo=UTC)
    probes = {
        NEW: {
            minute: (40, 10),
            minute + timedelta(minutes=2): (20, 1),
            minute + timedelta(minutes=3): (60, 0),
        },
        OLD: {minute: (30, 1)},  # more probes than the platform counted: clipped, never negative
    }
    assert subtracted_probes(window, probes, NEW) == (60, 11)  # 14:03 is not published yet
    snap = stratum_from_window(
        "platform", window, NEW, OLD, complete + timedelta(seconds=90), subtract=probes
    )
    assert snap.routes == {"*": (Counts(40, 1, None), Counts(0, 0, None))}
    assert snap.lag_s == 90
    canary, _ = totals(snap)
    assert canary.slow is None and counts_text(canary) == "40 · 1 5xx"


def test_probes_are_live():
    window = CountsWindow(
        T0, T0 + timedelta(seconds=40), (row(NEW, "health", 80, 0), row(OLD, "health", 80, 0))
    )
    snap = stratum_from_window("probes", window, NEW, OLD, T0 + timedelta(seconds=40))
    assert snap.lag_s == 0 and completeness(snap) == "data up to 14:01:10, lag 0 s"
    assert counts_text(totals(snap)[0]) == "80 · 0 5xx · 0 slow"
