"""How many probes per second one Prober sustains against the sandbox (two revisions), at 2, 10, 50 rps
per revision. Prints achieved rate per revision, skipped slots, p50/p95 latency and this process's CPU.

    python benchmarks/canary_probes.py [seconds per rate, default 10]

Measured, printed, never asserted (the policy default is 4 rps per revision; see apexops/settings.py).
"""

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime

from apexops.canary.probes import Prober
from apexops.models import AppUpdate
from apexops.sandbox.testing import running_sandbox
from apexops.settings import ProbeSettings
from apexops.tokens import AccessToken

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
with (
    tempfile.TemporaryDirectory() as home,
    running_sandbox(home, options={"flush_interval_s": 0.2}) as (s, env),
):
    base = env.app.list_revisions()[0].name
    new = env.app.update(AppUpdate(image=s.image("v1.2.3"), revision_suffix="bench")).latest_revision_name
    while env.app.get_revision(new).health_state != "Healthy":
        time.sleep(0.1)
    targets = {r: env.app.get_revision(r).url for r in (base, new)}

    def token() -> AccessToken:
        return env.identity.api_token(s.api_audience)

    print(
        f"{'rate/rev':>8} {'revision':<28} {'probes':>6} {'per s':>7} {'skipped':>7} {'errors':>6} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'cpu %':>6} {'stop ms':>7}"
    )
    for rate in (2, 10, 50):
        ps = ProbeSettings(rate_rps=rate, routes=("health", "list", "get"), timeout_s=10)
        since = datetime.now(UTC)
        cpu0, t0 = time.process_time(), time.monotonic()
        p = Prober(targets, ps, token=token, run_id=f"bench-{rate}", latency_ms=2000).start()
        time.sleep(DURATION)
        ts = time.monotonic()
        p.stop()
        stop_ms = (time.monotonic() - ts) * 1000
        wall, cpu = time.monotonic() - t0, time.process_time() - cpu0
        window = p.counts(since)
        skipped = {x["revision"]: x["skipped_slots"] for x in p.summary()}
        for rev in targets:
            n = sum(r.requests for r in window.rows if r.revision == rev)
            err = sum(r.errors_5xx for r in window.rows if r.revision == rev)
            lat = sorted(o.latency_ms for o in p._outcomes if o.revision == rev)
            p95 = lat[int(0.95 * (len(lat) - 1))]
            print(
                f"{rate:>8} {rev:<28} {n:>6} {n / wall:>7.2f} {skipped[rev]:>7} {err:>6} "
                f"{statistics.median(lat):>7.1f} {p95:>7.1f} {100 * cpu / wall:>6.1f} {stop_ms:>7.1f}"
            )
