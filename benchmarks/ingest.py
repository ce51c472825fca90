"""Ingest speed and memory on the real corpus in ../shared/corpus/.

Prints one table: records/s (wall clock and CPU time) and peak memory for
  - parse only (the dumps read and parsed, nothing stored),
  - ingest of all 620 corpus dumps into a fresh library (one transaction per file), on one
    core, and with the worker process that reads and parses ahead (two cores),
  - ingest of the same records pasted into one big dump (one transaction),
  - ingest of the 440 Daily Papers API responses in ../shared/hf-api/ (the same papers, as
    JSON), on one core and reading ahead: per record, no slower than the dumps is the goal.
CPU time includes the worker's.
Each scenario runs in its own process so peak RSS is its own. Compare rows of one run: the
machines are shared and noisy.

    python benchmarks/ingest.py [--corpus PATH] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from _child import peak_mib, run_in_child

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
API = ROOT.parent / "shared" / "hf-api"


def corpus_files(corpus: Path) -> list[Path]:
    return sorted((corpus / "dumps").glob("*.txt")) + sorted((corpus / "trending").glob("*.txt"))


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the read-ahead worker)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def run_scenario(name: str, corpus: Path, workdir: Path) -> dict[str, float]:
    """Runs in a child process: time one scenario and report its own peak RSS."""
    from papertriage.ingest import ingest_paths
    from papertriage.parse import read_dump
    from papertriage.store import Store

    files = corpus_files(corpus)
    wall, cpu = time.perf_counter(), _cpu()
    if name == "parse":
        records = sum(1 for path in files for _ in read_dump(path, 2025))
    elif name in ("ingest", "ahead"):
        with Store(workdir / "files.db") as store:
            report = ingest_paths(store, files, read_ahead=name == "ahead")
            records = report.total("records")
    elif name in ("api", "api-ahead"):
        responses = sorted(API.glob("*.json"))
        wall, cpu = time.perf_counter(), _cpu()
        with Store(workdir / "api.db") as store:
            report = ingest_paths(store, responses, read_ahead=name == "api-ahead")
            records = report.total("records")
    else:
        big = workdir / "big-2025.txt"
        with big.open("w", encoding="utf-8") as out:
            for path in files:
                out.write(path.read_text(encoding="utf-8") + "\n\n")
        wall, cpu = time.perf_counter(), _cpu()
        with Store(workdir / "big.db") as store:
            records = ingest_paths(store, [big]).total("records")
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    return {"records": records, "wall": wall, "cpu": cpu, "peak_mib": peak_mib()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per scenario: the least times are shown"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_scenario(args.child, args.corpus, args.work)))
        return

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"papertriage ingest on {args.corpus}")
    for column in (
        "scenario",
        "records",
        "wall s",
        "records/s",
        "CPU s",
        "records/CPU-s",
        "peak MiB",
    ):
        table.add_column(column, justify="right" if column != "scenario" else "left")
    labels = {
        "parse": "parse only",
        "ingest": f"ingest {len(corpus_files(args.corpus))} dumps, one core",
        "ahead": f"ingest {len(corpus_files(args.corpus))} dumps, reading ahead",
        "big": "ingest as one big dump",
        "api": f"ingest {len(list(API.glob('*.json')))} API responses, one core",
        "api-ahead": f"ingest {len(list(API.glob('*.json')))} API responses, reading ahead",
    }
    for name, label in labels.items():
        runs = []
        for _ in range(args.repeat):
            result = run_in_child(__file__, name, "--corpus", str(args.corpus))
            if result is None:
                raise SystemExit(f"scenario {name!r} failed")
            runs.append(result)
        # Noise only ever adds time: the least wall and the least CPU time (each from its own
        # run) are the best estimates; memory is the worst seen.
        best = {
            "records": runs[0]["records"],
            "wall": min(run["wall"] for run in runs),
            "cpu": min(run["cpu"] for run in runs),
            "peak_mib": max(run["peak_mib"] for run in runs),
        }
        table.add_row(
            label,
            f"{best['records']:,.0f}",
            f"{best['wall']:.2f}",
            f"{best['records'] / best['wall']:,.0f}",
            f"{best['cpu']:.2f}",
            f"{best['records'] / best['cpu']:,.0f}",
            f"{best['peak_mib']:.0f}",
        )
    Console(width=150).print(table)


if __name__ == "__main__":
    main()
