"""A Python bittensor 10.5.0 dendrite querying one axon; prints one JSON object on stdout.

Usage:
  py_dendrite.py query  PORT AXON_HOTKEY URI   -> Dummy(21), HashedEcho("hello", 5), DummyStream(3)
  py_dendrite.py bench  PORT AXON_HOTKEY URI CONCURRENCY SECONDS  -> requests/s and latencies
"""
import asyncio
import json
import sys
import time

from common import Dummy, DummyStream, HashedEcho, Keypair, bt


def terminal(t):
    return None if t is None else {"status_code": t.status_code, "status_message": t.status_message}


async def query(dendrite, axon):
    out = {}
    r = await dendrite.call(target_axon=axon, synapse=Dummy(input=21), timeout=12, deserialize=False)
    out["dummy"] = {"output": r.output, "dendrite": terminal(r.dendrite), "axon": terminal(r.axon)}
    r = await dendrite.call(target_axon=axon, synapse=HashedEcho(text="hello", input=5), timeout=12, deserialize=False)
    out["hashed"] = {"output": r.output, "dendrite": terminal(r.dendrite), "axon": terminal(r.axon)}
    chunks, final = [], None
    async for item in dendrite.call_stream(target_axon=axon, synapse=DummyStream(n=3), timeout=12, deserialize=False):
        if isinstance(item, str):
            chunks.append(item)
        else:
            final = item
    out["stream"] = {"text": "".join(chunks), "dendrite": terminal(final.dendrite)}
    return out


async def bench(dendrite, axon, concurrency, seconds):
    latencies, errors = [], 0
    stop = time.perf_counter() + seconds

    async def worker():
        nonlocal errors
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            r = await dendrite.call(target_axon=axon, synapse=Dummy(input=1), timeout=12, deserialize=False)
            latencies.append(time.perf_counter() - t0)
            if r.dendrite.status_code != 200:
                errors += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else None

    return {"requests": len(latencies), "errors": errors, "rps": len(latencies) / elapsed,
            "p50_ms": pct(0.50), "p99_ms": pct(0.99)}


async def main():
    mode, port, axon_hotkey, uri = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    dendrite = bt.Dendrite(wallet=Keypair.create_from_uri(uri))
    axon = bt.AxonInfo(version=0, ip="127.0.0.1", port=port, ip_type=4, hotkey=axon_hotkey, coldkey=axon_hotkey)
    if mode == "query":
        result = await query(dendrite, axon)
    else:
        result = await bench(dendrite, axon, int(sys.argv[5]), float(sys.argv[6]))
    await dendrite.aclose_session()
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
