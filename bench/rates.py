"""Checkout rates: ``POST /api/shopify/carrier-rates`` through the local host with FedEx emulated at a
fixed latency, ``callers`` concurrent callers and 80 % of requests on repeated keys.

Method: hits and misses are told apart by construction, and the host's log checks it.
1. Warm-up, not timed: one request (OAuth token, imports) with its own key.
2. Cold wave: every caller sends one request at once; 80 % spread over ``hot`` keys, 20 % on keys
   of their own. Nothing is cached: callers of one hot key coalesce on one FedEx call, or, when the
   host reaches them after the first answer, hit the cache. Reported as its own row (the log says
   how many were which); it is where single-flight is tested.
3. Warm waves (``waves``, one after another): the same mix. The hot keys were answered in the cold
   wave (TTL 600 s), so those 80 % are hits; the 20 % new keys are misses, one FedEx call each.
   The host logs ``rates.answered source=cache|fedex|fallback`` per answer; in the warm waves the
   number of ``source=cache`` lines must equal the designed hits (shown in the notes).
4. CPU per hit: ``waves`` more waves of hits only. The host process's CPU (/proc) over them ÷ hits, the
   quote audit's appends included (1 s of waiting, two flush intervals, inside the window); and the
   function's own CPU per hit, the thread CPU inside the HTTP function (``shared.meter``, one hit in 16
   sampled), read from the host's detailed health report before and after (outside the CPU window).
5. FedEx calls per unique key: the FedEx emulator's ``rate_requests`` counter / keys sent.
6. Bare round trip (the limit for hits; FedEx latency + it for misses): the same body POSTed at the
   same concurrency to a route the host does not have (its router answers 404: HTTP, no function).
7. FedEx down: a wave of new keys while every FedEx request hangs (``rate_timeout``, longer than
   the client's patience, so the circuit breaker stays closed), then one while FedEx answers 503;
   the limit is the service deadline (rates config ``deadline_s``) + 100 ms.

The client is aiohttp: httpx's async pool spends ~17 ms CPU per request at 200 connections and
would measure itself. The FedEx emulator runs in this process (its latency is an asyncio sleep).

``python -m bench.rates [--callers N] [--waves W] [--seconds S] [--latency-ms L]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import time
from typing import Any

import aiohttp
import httpx

from bench.common import Deadline, Row, percentile, save, show
from bench.measure import FUNCTION_KEY, calls_delta, cpu_seconds, host_calls
from integration.rates.config import load_rates_config
from integration.webhooks.signature import sign
from sandbox import SAMPLES
from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.fedex import FedexEmulatorConfig
from sandbox.emulators.fedex import create_app as create_fedex
from sandbox.emulators.serve import start_in_thread
from sandbox.harness.stack import azurite
from sandbox.host.process import HostProcess, start_host

SECRET = "bench-secret"
SAMPLE = json.loads((SAMPLES / "shopify" / "shopify_dev__carrier_service_rate_request.json").read_text())
REPEATED = 0.8
OFF = "0 0 0 1 1 *"
_ANSWERED = re.compile(r"rates\.answered .*?source=(\w+).*?latency_ms=([\d.]+)")


def function_cpu(url: str) -> dict[str, dict[str, int]]:
    """The host's functions' own CPU so far by outcome (``shared.meter``, via the detailed health report)."""
    response = httpx.get(f"{url}/api/ops/health", headers={"x-functions-key": FUNCTION_KEY}, timeout=10)
    response.raise_for_status()
    return dict(response.json().get("process", {}).get("function_cpu", {}))


def rate_body(key: int) -> bytes:
    """The public sample with its weight made unique per key (50 g steps change the 0.1 lb key)."""
    body = json.loads(json.dumps(SAMPLE))
    body["rate"]["items"][0]["grams"] = 300 + 50 * key
    return json.dumps(body).encode()


def wave_keys(callers: int, hot: int, first_new: int) -> list[int]:
    """One key per caller: REPEATED of them over ``hot`` keys (0..hot-1), the rest new keys."""
    repeated = round(callers * REPEATED)
    return [i % hot for i in range(repeated)] + list(range(first_new, first_new + callers - repeated))


async def _wave(session: aiohttp.ClientSession, url: str, bodies: list[bytes]) -> tuple[list[float], int]:
    """Send every body at once; (latency in ms per body, answers that were not 200 with rates)."""

    async def one(body: bytes) -> tuple[float, bool]:
        headers = {"Content-Type": "application/json", "X-Shopify-Hmac-Sha256": sign(body, SECRET)}
        started = time.perf_counter()
        async with session.post(url, data=body, headers=headers) as response:
            data = await response.read()
        elapsed = (time.perf_counter() - started) * 1000
        return elapsed, response.status == 200 and bool(json.loads(data).get("rates"))

    results = await asyncio.gather(*(one(b) for b in bodies))
    return [ms for ms, _ in results], sum(not ok for _, ok in results)


async def _bare(session: aiohttp.ClientSession, url: str, body: bytes, count: int) -> list[float]:
    headers = {"Content-Type": "application/json", "X-Shopify-Hmac-Sha256": sign(body, SECRET)}

    async def one() -> float:
        started = time.perf_counter()
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
        return (time.perf_counter() - started) * 1000

    return list(await asyncio.gather(*(one() for _ in range(count))))


class Answers:
    """``rates.answered`` lines of the host's output since the last call: (source, server latency)."""

    def __init__(self, host: HostProcess) -> None:
        self.host, self.seen = host, 0

    async def take(self, expected: int, wait_s: float = 30.0) -> list[tuple[str, float]]:
        found: list[tuple[str, float]] = []
        end = time.monotonic() + wait_s
        while len(found) < expected and time.monotonic() < end:
            lines = self.host.lines[self.seen :]
            self.seen += len(lines)
            found += [(m.group(1), float(m.group(2))) for m in map(_ANSWERED.search, lines) if m]
            if len(found) < expected:
                await asyncio.sleep(0.05)
        return found


async def _measure(
    host: HostProcess, fedex_url: str, callers: int, waves: int, hot: int, deadline: Deadline, deadline_s: float
) -> dict[str, Any]:
    answers = Answers(host)
    url = f"{host.url}/api/shopify/carrier-rates"
    out: dict[str, Any] = {"hits": [], "misses": [], "failed": 0, "warm_sources": [], "designed_hits": 0}
    # Idle connections are dropped before uvicorn's 5 s keep-alive ends (no reuse of a closing socket).
    connector = aiohttp.TCPConnector(limit=callers, keepalive_timeout=3)
    timeout = aiohttp.ClientTimeout(total=60)
    async with (
        aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
        aiohttp.ClientSession(base_url=fedex_url, timeout=timeout) as admin,
    ):

        async def fedex_calls() -> int:
            async with admin.get("/_emulator/state") as response:
                return int((await response.json())["counts"].get("rate_requests", 0))

        async def faults(config: dict[str, Any]) -> None:
            async with admin.put("/_emulator/faults", json=config) as response:
                response.raise_for_status()

        await _wave(session, url, [rate_body(-1)])  # warm-up: token, imports, connections
        await answers.take(1)
        before = await fedex_calls()
        next_key = hot
        keys = wave_keys(callers, hot, next_key)
        next_key += callers - round(callers * REPEATED)
        out["cold"], failed = await _wave(session, url, [rate_body(k) for k in keys])
        out["failed"] += failed
        out["cold_sources"] = [src for src, _ in await answers.take(len(keys))]
        calls_before = host_calls(host.url)
        cpu_before, warm_requests = cpu_seconds(host.process.pid), 0
        for _ in range(waves):
            if deadline.passed():
                break
            keys = wave_keys(callers, hot, next_key)
            next_key += callers - round(callers * REPEATED)
            latencies, failed = await _wave(session, url, [rate_body(k) for k in keys])
            out["failed"] += failed
            for key, ms in zip(keys, latencies, strict=True):
                out["hits" if key < hot else "misses"].append(ms)
                out["designed_hits"] += key < hot
            out["warm_sources"] += await answers.take(len(keys))
            warm_requests += len(keys)
        # Sampled before the audit writes queued by the last wave have all run: a lower bound.
        out["cpu_per_request"] = 1000 * (cpu_seconds(host.process.pid) - cpu_before) / max(1, warm_requests)
        out["warm_requests"] = warm_requests
        # Hits only (every caller on a hot key), ``waves`` waves: the host's CPU per cache hit, the quote
        # audit included (its flushes run inside the window: 1 s of waiting, then the CPU is read), and the
        # function's own CPU per hit (thread CPU inside the handler, from the host's health report, read
        # outside the window).
        meter_before = function_cpu(host.url).get("rates.cache", {})
        cpu_before = cpu_seconds(host.process.pid)
        for _ in range(max(1, waves)):
            await _wave(session, url, [rate_body(i % hot) for i in range(callers)])
            await answers.take(callers)
        await asyncio.sleep(1)  # two flush intervals: the last wave's quotes are appended inside the window
        hit_count = callers * max(1, waves)
        out["cpu_per_hit"] = 1000 * (cpu_seconds(host.process.pid) - cpu_before) / hit_count
        meter_after = function_cpu(host.url).get("rates.cache", {})
        hits_metered = meter_after.get("count", 0) - meter_before.get("count", 0)
        function_ns = meter_after.get("cpu_ns", 0) - meter_before.get("cpu_ns", 0)
        out["function_cpu_per_hit"] = function_ns / 1e6 / max(1, hits_metered)
        out["hits_metered"] = hits_metered
        out["keys"] = next_key  # hot keys 0..hot-1 and every new key after them
        out["fedex_calls"] = await fedex_calls() - before
        await asyncio.sleep(2)  # let the audit writes of the last wave finish
        # Storage calls of the warm waves, the batched quote-audit flushes included.
        out["storage_calls"] = calls_delta(calls_before, host_calls(host.url))
        out["storage_calls"]["queue"] -= 2  # the two function-CPU reads (health reports) in the window
        bare: list[float] = []
        cpu_before = cpu_seconds(host.process.pid)
        for _ in range(max(1, waves)):
            bare += await _bare(session, f"{host.url}/api/bench-no-such-route", rate_body(0), callers)
        out["bare"] = bare
        out["cpu_per_bare"] = 1000 * (cpu_seconds(host.process.pid) - cpu_before) / len(bare)
        down_size = max(10, callers // 4)
        # Hang longer than the FedEx client waits (30 s read timeout): no failure reaches the circuit
        # breaker during the waves, so both measure the deadline path.
        for name, fault in (("timeout", {"rate_timeout": 1.0, "timeout_s": 40.0}), ("503", {"rate_503": 1.0})):
            await faults(fault)
            keys = list(range(next_key, next_key + down_size))
            next_key += down_size
            out[f"down_{name}"], out[f"down_{name}_failed"] = await _wave(session, url, [rate_body(k) for k in keys])
            out[f"down_{name}_sources"] = [src for src, _ in await answers.take(len(keys))]
        await faults({})
    return out


def run(
    callers: int = 200, waves: int = 5, seconds: float = 300, latency_ms: float = 800.0, hot: int = 10
) -> list[Row]:
    deadline = Deadline(seconds)
    deadline_s = load_rates_config(None).deadline_s  # the host reads the same default file
    instance = azurite.start()
    fedex = start_in_thread(
        create_fedex(FedexEmulatorConfig(faults=FaultConfig(latency_ms=latency_ms))), name="bench-fedex"
    )
    host: HostProcess | None = None
    try:
        env = {
            "AzureWebJobsStorage": instance.connection_string,
            "SHOPIFY_API_SECRET": SECRET,
            "FEDEX_URL": fedex.url,
            "FEDEX_CLIENT_ID": "local-fedex-client",
            "FEDEX_CLIENT_SECRET": "local-fedex-secret",
            "FEDEX_ACCOUNT_NUMBER": "740561073",
            **{
                f"{name}_SCHEDULE": OFF
                for name in ("WEBHOOK_RETENTION", "ORDER_RECONCILE", "FULFILLMENT_SYNC", "INVENTORY_SYNC")
            },
        }
        host = start_host(env)
        result = asyncio.run(_measure(host, fedex.url, callers, waves, hot, deadline, deadline_s))
        return _rows(result, callers, latency_ms, deadline_s)
    finally:
        if host:
            host.stop()
        fedex.stop()
        instance.stop()


def _rows(r: dict[str, Any], callers: int, latency_ms: float, deadline_s: float) -> list[Row]:
    hits, misses, bare, cold = r["hits"], r["misses"], r["bare"], r["cold"]
    sources = [s for s, _ in r["warm_sources"]]
    server_hits = [ms for s, ms in r["warm_sources"] if s == "cache"]
    at = f"@{callers}"
    rows: list[Row] = []
    for q in (50, 95, 99):
        note = {
            50: f"{len(hits)} hits in {len(hits) // max(1, round(callers * REPEATED))} warm waves; "
            f"load avg {os.getloadavg()[0]:.1f}",
            95: f"log: {sources.count('cache')} cache answers for {r['designed_hits']} designed hits; host CPU "
            f"per request {r['cpu_per_request']:.1f} ms (bare {r['cpu_per_bare']:.1f} ms)",
            99: f"in the function: p50 {percentile(server_hits, 50):.1f} / p99 {percentile(server_hits, 99):.1f} ms",
        }[q]
        rows.append(
            Row(
                "rates",
                f"cache hit p{q} {at}",
                percentile(hits, q),
                "ms",
                percentile(bare, q),
                f"bare round trip p{q} {at}",
                note,
            )
        )
    for q in (50, 95, 99):
        note = {
            50: f"{len(misses)} misses (new keys in warm waves); {r['failed']} answers without rates",
            95: f"log: {sources.count('fedex')} fedex / {sources.count('fallback')} fallback answers",
            99: "",
        }[q]
        rows.append(
            Row(
                "rates",
                f"miss p{q} {at}",
                percentile(misses, q),
                "ms",
                latency_ms + percentile(bare, q),
                f"FedEx {latency_ms:g} ms + bare p{q}",
                note,
            )
        )
    cold_sources = r["cold_sources"]
    rows.append(
        Row(
            "rates",
            f"cold wave p99 {at}",
            percentile(cold, 99),
            "ms",
            latency_ms + percentile(bare, 99),
            f"FedEx {latency_ms:g} ms + bare p99",
            f"p50 {percentile(cold, 50):.0f} ms; {cold_sources.count('fedex')} waited on FedEx "
            f"(coalesced), {cold_sources.count('cache')} reached the host after the first answer, "
            f"{cold_sources.count('fallback')} fell back at the deadline",
        )
    )
    calls = r["storage_calls"]
    rows.append(
        Row(
            "rates",
            "storage calls per checkout request",
            sum(calls.values()) / max(1, r["warm_requests"]),
            "req",
            note=", ".join(f"{k} {v}" for k, v in calls.items())
            + f" over {r['warm_requests']} warm requests (quote audit, batched off the answer path)",
        )
    )
    rows.append(
        Row(
            "rates",
            "host CPU per checkout hit",
            r["cpu_per_hit"],
            "ms",
            1.0,
            "goal",
            f"waves of {callers} hits only, quote audit flushes included: the function itself "
            f"{r['function_cpu_per_hit']:.2f} ms, the rest is the host (HTTP, worker runtime) and the audit "
            f"thread; a bare 404 costs {r['cpu_per_bare']:.2f} ms; warm waves (80 % hits, 20 % misses) "
            f"{r['cpu_per_request']:.1f} ms per request",
        )
    )
    rows.append(
        Row(
            "rates",
            "function CPU per checkout hit",
            r["function_cpu_per_hit"],
            "ms",
            note=f"thread CPU inside the HTTP function (parse, HMAC, plan, cache, rules, log, audit buffer) "
            f"over {r['hits_metered']} hits (shared.meter); host CPU without it and without a bare 404's "
            f"{r['cpu_per_bare']:.2f} ms: {r['cpu_per_hit'] - r['function_cpu_per_hit'] - r['cpu_per_bare']:.2f} ms",
        )
    )
    keys = r["keys"]
    rows.append(
        Row(
            "rates",
            "FedEx calls per unique key",
            r["fedex_calls"] / keys if keys else 0.0,
            "calls",
            1.0,
            "goal",
            f"{r['fedex_calls']} FedEx calls for {keys} keys",
        )
    )
    limit_ms = deadline_s * 1000 + 100
    for name, what in (("timeout", "hangs"), ("503", "answers 503")):
        latencies = r[f"down_{name}"]
        got = r[f"down_{name}_sources"]
        rows.append(
            Row(
                "rates",
                f"FedEx down ({name}) p99",
                percentile(latencies, 99),
                "ms",
                limit_ms,
                f"deadline {deadline_s:g} s + 100 ms",
                f"FedEx {what}: {len(latencies)} new keys at once, p50 {percentile(latencies, 50):.0f} ms, "
                f"{got.count('fallback')} fallback answers, {r[f'down_{name}_failed']} without rates",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--callers", type=int, default=200, help="concurrent callers per wave")
    parser.add_argument("--waves", type=int, default=5, help="warm waves after the cold one")
    parser.add_argument("--seconds", type=float, default=300, help="time budget for the warm waves")
    parser.add_argument("--latency-ms", type=float, default=800.0, help="FedEx emulator latency per request")
    args = parser.parse_args()
    rows = run(args.callers, args.waves, args.seconds, args.latency_ms)
    show(rows)
    print(f"saved {save(rows, 'rates')}")


if __name__ == "__main__":
    main()
