"""Sandbox store at scale: seed 10,000 pipelines, then time one page of the list API.

Targets: seeding 10,000 pipelines well under 2 s; a page at 10,000 pipelines costs about what
it costs at 100 (ratio near 1; keyset paging and indexes, not a scan per page). Filtered
listings must count matches, so their ratio is allowed to grow, but stay in milliseconds.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from jupyter_kfp_connect.sandbox import Sandbox  # noqa: E402

API = "/apis/v2beta1/pipelines"
REPEATS = 30
CASES = {
    "first page": {},
    "sorted name desc": {"sort_by": "name desc"},
    "filtered substring": {"filter": json.dumps({"predicates": [
        {"operation": "IS_SUBSTRING", "key": "display_name", "string_value": "-000"}]})},
    "filtered + sorted": {"sort_by": "display_name desc", "filter": json.dumps({"predicates": [
        {"operation": "IS_SUBSTRING", "key": "display_name", "string_value": "-000"}]})},
}


def page_ms(client: httpx.Client, params: dict) -> float:
    """Median milliseconds for one 20-item page (after a warm-up request)."""
    client.get(API, params=params).raise_for_status()
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        client.get(API, params=params).raise_for_status()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def deep_page_ms(client: httpx.Client, pages: int) -> float:
    """Median time of the page reached after following ``pages`` next_page_tokens."""
    token = ""
    for _ in range(pages):
        token = client.get(API, params={"page_token": token} if token else {}).json()["next_page_token"]
    return page_ms(client, {"page_token": token})


def measure(count: int) -> tuple[float, dict[str, float]]:
    with Sandbox() as sandbox, httpx.Client(base_url=sandbox.url, timeout=30) as client:
        start = time.perf_counter()
        sandbox.store.seed("", count)
        seed_s = time.perf_counter() - start
        timings = {name: page_ms(client, params) for name, params in CASES.items()}
        timings["page 4 via tokens"] = deep_page_ms(client, 4)
    return seed_s, timings


def main() -> int:
    seed_small, small = measure(100)
    seed_big, big = measure(10_000)
    print(f"seed 100 pipelines:    {seed_small * 1000:8.1f} ms")
    print(f"seed 10,000 pipelines: {seed_big * 1000:8.1f} ms   (target < 2000 ms)")
    print(f"{'list page (20 items)':24} {'@100':>9} {'@10,000':>9} {'ratio':>7}")
    for name in small:
        print(f"{name:24} {small[name]:7.2f}ms {big[name]:7.2f}ms {big[name] / small[name]:7.2f}")
    ok = seed_big < 2.0 and big["first page"] / small["first page"] < 3
    print("OK" if ok else "SLOWER THAN TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
