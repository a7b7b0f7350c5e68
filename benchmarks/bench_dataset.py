"""Time building and loading the PQPP dataset from a local upstream copy.

Measures, per version, against baselines run in the same process:

* ``read``: verifying (sha256) and parsing the upstream files into canonical rows, against a bare
  ``pandas.read_csv`` of the same CSV files plus a plain (unsafe) ``pickle.load`` of the judgments (the least
  any loader must do);
* ``build``: ``build_folder`` for the three text configs (``datasets`` builder → Parquet + card);
* ``load``: ``load_dataset(<built folder>, config)`` for each config from a cold cache, against
  ``pyarrow.parquet.read_table`` of the same files.

Usage:
    python benchmarks/bench_dataset.py --data_root ../shared/pqpp-upstream [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data_root", default=os.environ.get("PQPP_DATA_DIR", "../shared/pqpp-upstream"))
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is kept")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="pqpp-bench-"))
    os.environ.update(HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1", HF_DATASETS_DISABLE_PROGRESS_BARS="1")
    os.environ["HF_DATASETS_CACHE"] = str(work / "cache")
    import datasets
    import pandas as pd
    import pyarrow.parquet as pq

    from pqpp.data.hub import DEFAULT_CONFIGS, build_folder
    from pqpp.data.registry import get_release
    from pqpp.data.sources import resolve_files
    from pqpp.data.upstream import read_release

    datasets.disable_caching()
    print(f"python {sys.version.split()[0]}, datasets {datasets.__version__}, {os.cpu_count()} CPUs")
    print(f"{'version':8} {'step':6} {'ours (s)':>9} {'baseline (s)':>13} {'ratio':>6}  baseline")
    for version in ("1.0.0", "1.1.0"):
        release = get_release(version)
        folder = Path(args.data_root) / release.folder
        files = list(resolve_files(release, folder).values())

        def bare_read(files: list[Path] = files) -> None:
            for path in files:
                if path.suffix == ".csv":
                    pd.read_csv(path, keep_default_na=False)
                else:
                    with path.open("rb") as handle:
                        pickle.load(handle)  # trusted here: a baseline on our checksummed copy

        ours = _best(lambda: read_release(release, resolve_files(release, folder)), args.repeat)  # noqa: B023
        base = _best(bare_read, args.repeat)
        print(f"{version:8} {'read':6} {ours:9.3f} {base:13.3f} {ours / base:6.2f}  read_csv + pickle.load")

        runs = iter(range(args.repeat))
        build = _best(
            lambda: build_folder(work / f"{version}-{next(runs)}" / "pqpp", version=version, data_dir=folder),  # noqa: B023
            args.repeat,
        )
        out = work / f"{version}-0" / "pqpp"
        print(f"{version:8} {'build':6} {build:9.3f} {'':>13} {'':>6}  ({', '.join(DEFAULT_CONFIGS)})")

        parquet = sorted(out.glob("*/*.parquet"))

        def load_all(out: Path = out) -> None:
            cache = work / f"cache-{time.time_ns()}"  # cold: every run converts the Parquet again
            for config in DEFAULT_CONFIGS:
                datasets.load_dataset(str(out), config, cache_dir=str(cache))

        load = _best(load_all, args.repeat)
        base = _best(lambda: [pq.read_table(p) for p in parquet], args.repeat)  # noqa: B023
        print(
            f"{version:8} {'load':6} {load:9.3f} {base:13.3f} {load / base:6.1f}  pyarrow.read_table of the Parquet"
        )


if __name__ == "__main__":
    main()
