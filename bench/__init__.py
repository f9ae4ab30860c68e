"""Synthetic data at scale and the benchmark suite: `python -m bench.run --quick|--full`."""
