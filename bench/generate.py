"""Deterministic synthetic data set: N cylinders, ~10 ledger entries each, signed and chained.

    python -m bench.generate --url postgresql+psycopg://postgres@127.0.0.1:5432/lpg_bench \
        --scale 1000000 [--seed 2026] [--workers 2] [--force]

Workers build chunks of cylinders in parallel (signing and hashing are the CPU cost); each
waits for its turn to extend the hash chain, then COPYs its own rows. A marker row records the
scale and seed, so a later run with the same parameters reuses the database; an interrupted
PostgreSQL run resumes from its last committed chunk (a plan row keeps what it needs).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import multiprocessing as mp
import os
import pickle
import sys
import time
from dataclasses import dataclass

import psycopg

from bench import load
from bench.history import ChunkBuilder, chain
from bench.reference import Context, load_reference
from traceability.db import Database
from traceability.ledger.chain import GENESIS_HASH

GENERATOR_VERSION = 4  # 4: fills keep their inspection due date
DEFAULT_SEED = 2026


@dataclass
class Settings:
    url: str
    scale: int
    seed: int = DEFAULT_SEED
    workers: int = os.cpu_count() or 2
    chunk_size: int = 5000
    now: int | None = None  # epoch seconds the histories end at; default: start of this hour


# --- worker process state (fork-inherited) -------------------------------------------------
_state: dict = {}


def _init_worker(ctx: Context, settings: Settings, shared: tuple) -> None:
    _state["builder"] = ChunkBuilder(ctx, settings.chunk_size, False)
    _state["shared"] = shared
    _state["settings"] = settings
    connection = psycopg.connect(load.libpq_dsn(settings.url))
    connection.execute("SET synchronous_commit = off")
    connection.commit()
    _state["connection"] = connection


def _postgres_task(index: int) -> dict:
    """Build chunk `index`, extend the chain when its turn comes, COPY it; return its counts."""
    settings: Settings = _state["settings"]
    count = min(settings.chunk_size, settings.scale - index * settings.chunk_size)
    chunk = _state["builder"].build(index, count)
    condition, turn, last_hash, next_id = _state["shared"]
    with condition:
        while turn.value != index:
            condition.wait()
        previous, first = last_hash.value.decode(), next_id.value
        last, following = chain(chunk, previous, first)
        last_hash.value, next_id.value, turn.value = last.encode(), following, index + 1
        condition.notify_all()
    load.copy_chunk(_state["connection"], chunk, (following - 1, last))
    return load.chunk_counts(chunk) | {"last_id": following - 1, "last_hash": last}


def _reference(settings: Settings) -> Context:
    db = Database(settings.url)
    with db.transaction() as session:
        ctx = load_reference(session, settings.seed, settings.now or 0)
    db.dispose()
    return ctx


def _chunks(settings: Settings) -> range:
    return range((settings.scale + settings.chunk_size - 1) // settings.chunk_size)


def _plan(settings: Settings, ctx: Context, restore: list[str]) -> dict:
    """What a resumed run needs: parameters, the worker context, the DDL to restore at the end."""
    return {
        "version": GENERATOR_VERSION,
        "scale": settings.scale,
        "seed": settings.seed,
        "now": settings.now,
        "chunk_size": settings.chunk_size,
        "restore": restore,
        "context": base64.b64encode(pickle.dumps(ctx)).decode(),
    }


def _resumable(settings: Settings) -> dict | None:
    """The plan of an interrupted PostgreSQL run with the same parameters, if there is one."""
    if load.is_sqlite(settings.url) or load.read_marker(settings.url) is not None:
        return None
    plan = load.read_marker(settings.url, "plan")
    wanted = (GENERATOR_VERSION, settings.scale, settings.seed, settings.chunk_size)
    if plan is None or (plan["version"], plan["scale"], plan["seed"], plan["chunk_size"]) != wanted:
        return None
    return plan


def _generate_postgres(settings: Settings, plan: dict, totals: dict) -> tuple[int, str]:
    ctx = pickle.loads(base64.b64decode(plan["context"]))  # noqa: S301 - our own plan row
    first, head, done_totals = load.resume_point(settings.url, settings.chunk_size)
    totals.update(done_totals)
    totals["resumed_at_chunk"] = first
    fork = mp.get_context("fork")
    shared = (fork.Condition(), fork.Value("q", first), fork.Array("c", 64), fork.Value("q", 0))
    shared[2].value, shared[3].value = head[1].encode(), head[0] + 1
    started = time.perf_counter()
    chunks = range(first, len(_chunks(settings)))
    with fork.Pool(settings.workers, _init_worker, (ctx, settings, shared)) as pool:
        for n, result in enumerate(pool.imap(_postgres_task, chunks), start=first + 1):
            for key in ("cylinders", "fills", "ledger_entries", "scans"):
                totals[key] += result[key]
            if result["last_id"] >= head[0]:
                head = (result["last_id"], result["last_hash"])
            _progress(n, len(_chunks(settings)), totals, started)
    totals["rows_s"] = round(time.perf_counter() - started, 1)
    totals.update(load.finish_postgres(settings.url, plan["restore"], head))
    return head


def _generate_sqlite(settings: Settings, ctx: Context, totals: dict) -> tuple[int, str]:
    builder = ChunkBuilder(ctx, settings.chunk_size, True)
    connection = load.sqlite_connection(settings.url)
    previous, next_id = GENESIS_HASH, 1
    started = time.perf_counter()
    for index in _chunks(settings):
        count = min(settings.chunk_size, settings.scale - index * settings.chunk_size)
        chunk = builder.build(index, count)
        previous, next_id = chain(chunk, previous, next_id)
        load.insert_chunk_sqlite(connection, chunk)
        for key, value in load.chunk_counts(chunk).items():
            totals[key] += value
        _progress(index + 1, len(_chunks(settings)), totals, started)
    totals["rows_s"] = round(time.perf_counter() - started, 1)
    load.finish_sqlite(connection, (next_id - 1, previous))
    connection.close()
    return next_id - 1, previous


def _progress(done: int, total: int, totals: dict, started: float) -> None:
    if done == total or done % max(1, total // 20) == 0:
        elapsed = time.perf_counter() - started
        print(
            f"  chunk {done}/{total}: {totals['cylinders']:,} cylinders, "
            f"{totals['ledger_entries']:,} entries, {elapsed:.0f} s",
            file=sys.stderr,
            flush=True,
        )


def generate(settings: Settings, force: bool = False) -> dict:
    """Generate (or reuse) the data set; returns the marker: counts, seed, timings."""
    marker = None if force else load.read_marker(settings.url)
    same = marker and (marker.get("scale"), marker.get("seed")) == (settings.scale, settings.seed)
    if marker and same and marker.get("version") == GENERATOR_VERSION:
        if marker.get("schema") == load.schema_fingerprint():
            return marker | {"reused": True}
        print("data set built for another schema (models changed): regenerating", file=sys.stderr)
    started = time.perf_counter()
    totals = {"cylinders": 0, "fills": 0, "ledger_entries": 0, "scans": 0}
    plan = None if force else _resumable(settings)
    if plan is not None:
        settings.now = plan["now"]
        ctx = pickle.loads(base64.b64decode(plan["context"]))  # noqa: S301 - our own plan row
    else:
        if settings.now is None:
            settings.now = int(time.time()) // 3600 * 3600
        load.recreate_database(settings.url)
        ctx = _reference(settings)
    if load.is_sqlite(settings.url):
        head = _generate_sqlite(settings, ctx, totals)
    else:
        if plan is None:
            with psycopg.connect(load.libpq_dsn(settings.url), autocommit=True) as connection:
                plan = _plan(settings, ctx, load.defer_constraints(connection))
            load.write_marker(settings.url, plan, "plan")
        head = _generate_postgres(settings, plan, totals)
    info = {
        "version": GENERATOR_VERSION,
        "schema": load.schema_fingerprint(),
        "scale": settings.scale,
        "seed": settings.seed,
        "now": settings.now,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "workers": settings.workers,
        "chain_head": {"last_entry_id": head[0], "last_hash": head[1]},
        "device_keys": {str(k): v for k, v in ctx.device_secrets.items()},
        **totals,
        "total_s": round(time.perf_counter() - started, 1),
    }
    load.write_marker(settings.url, info)
    return info | {"reused": False}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of a dedicated database")
    parser.add_argument("--scale", type=int, default=1_000_000, help="number of cylinders")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--chunk-size", type=int, default=5000)
    parser.add_argument("--now", type=int, help="epoch seconds histories end at (reproducibility)")
    parser.add_argument("--force", action="store_true", help="regenerate even if reusable")
    args = parser.parse_args(argv)
    settings = Settings(args.url, args.scale, args.seed, args.workers, args.chunk_size, args.now)
    info = generate(settings, force=args.force)
    info.pop("device_keys", None)
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
