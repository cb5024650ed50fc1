"""Revision affinity at the sandbox ingress: a client whose affinity cookie names a revision that receives
traffic is pinned to it; a cookie naming a revision at weight 0 (or no revision) falls back to the weights;
the revision URL ignores it. Real daemon, real HTTP."""

from __future__ import annotations

from collections import Counter

import pytest

from apexops.errors import ConfigError
from apexops.models import AppUpdate, TrafficWeight
from apexops.sandbox.ingress import AFFINITY_COOKIE
from apexops.sandbox.loadgen import LoadGenerator

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def names(sandbox, helpers):
    """(baseline, second): the seeded revision and a healthy v1.2.3 revision, splitting 50/50."""
    settings, env = sandbox
    base = f"{settings.app.name}--v1-2-2"
    second = env.app.update(AppUpdate(image=settings.image("v1.2.3"), revision_suffix="sticky"))
    second = second.latest_revision_name
    helpers.wait_provisioned(env, second)
    env.app.set_traffic([TrafficWeight(base, 50), TrafficWeight(second, 50)])
    yield base, second
    env.app.set_traffic([TrafficWeight(base, 100), TrafficWeight(second, 0)])


def _served(helpers, url: str, auth: dict[str, str], cookie: str | None, n: int = 40) -> Counter:
    headers = {**auth, **({"cookie": cookie} if cookie else {})}
    responses = helpers.burst(url, n, headers)
    assert all(r.status_code == 200 for r in responses), [r.status_code for r in responses]
    return Counter(r.headers["x-apex-revision"] for r in responses)


def test_a_cookie_pins_each_request_to_its_revision(sandbox, names, auth, helpers):
    _, env = sandbox
    base, second = names
    url = env.app.show().url
    assert _served(helpers, url, auth, f"{AFFINITY_COOKIE}={second}") == {second: 40}
    # among other cookies, and the other way round
    assert _served(helpers, url, auth, f"theme=dark; {AFFINITY_COOKIE}={base}; lang=en") == {base: 40}
    # without the cookie (or with other cookies only) the weights decide: both revisions serve
    assert set(_served(helpers, url, auth, None)) == {base, second}
    assert set(_served(helpers, url, auth, f"{AFFINITY_COOKIE}x={second}")) == {base, second}
    # the revision URL serves its own revision whatever the cookie says
    rev_url = env.app.get_revision(base).url
    assert _served(helpers, rev_url, auth, f"{AFFINITY_COOKIE}={second}", n=10) == {base: 10}


def test_a_cookie_naming_a_revision_without_traffic_falls_back_to_the_weights(sandbox, names, auth, helpers):
    _, env = sandbox
    base, second = names
    url = env.app.show().url
    env.app.set_traffic([TrafficWeight(base, 100), TrafficWeight(second, 0)])
    try:
        assert _served(helpers, url, auth, f"{AFFINITY_COOKIE}={second}") == {base: 40}
        assert _served(helpers, url, auth, f"{AFFINITY_COOKIE}=apex--nowhere") == {base: 40}
    finally:
        env.app.set_traffic([TrafficWeight(base, 50), TrafficWeight(second, 50)])
    assert _served(helpers, url, auth, f"{AFFINITY_COOKIE}={second}") == {second: 40}


def test_load_generator_sessions_are_pinned_by_their_cookie(sandbox, names):
    from apexops.sandbox.loadgen import for_sandbox

    settings, env = sandbox
    _, second = names
    gen = for_sandbox(settings, rate=40, duration_s=1.0, affinity=second, url=env.app.show().url)
    result = gen.start().wait(30)
    assert result.completed >= 30 and result.by_revision == {second: result.completed}, result


@pytest.mark.parametrize("bad", ["", "a b", "x;y", "a=b", "é"])
def test_a_bad_affinity_is_one_clear_line(bad):
    with pytest.raises(ConfigError, match="affinity") as caught:
        LoadGenerator("http://127.0.0.1:9", None, rate=1, duration_s=1, affinity=bad)
    assert "\n" not in str(caught.value)
