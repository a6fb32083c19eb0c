"""Load and latency benchmarks of the bot: `python -m bench` (see bench/run.py)."""
