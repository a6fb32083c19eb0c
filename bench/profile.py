"""Sampling profiles of the bot during a phase (py-spy), and a short reading of them.

`python -m bench --profile` records one py-spy profile of the bot per phase into bench/results/profiles/
(collapsed stacks, py-spy's "raw" format; any flame graph tool reads them, e.g. speedscope).
`python -m bench.profile FILE [--top N] [--match TEXT]` prints where the time went: by function, inclusive
and self, and by the bot's own modules.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections import Counter
from pathlib import Path

from bench.procs import Proc, Procs


class Recorder:
    """py-spy attached to a running process, 100 samples a second (each pauses the bot for a moment)."""

    def __init__(self, procs: Procs, cpus: set[int], target: Proc, out: Path) -> None:
        binary = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if not Path(binary).exists():
            raise RuntimeError("py-spy is not installed: .venv/bin/pip install -e '.[dev]'")
        out.parent.mkdir(parents=True, exist_ok=True)
        self.out = out
        self.proc = procs.start(
            f"py-spy-{out.stem}",
            [
                *(binary, "record", "--pid", str(target.pid), "--rate", "100"),
                *("--format", "raw", "--output", str(out)),
            ],
            cpus=cpus,
        )

    def stop(self) -> None:
        self.proc.stop(timeout=20)


def read(path: Path) -> Counter[str]:
    stacks: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[stack] += int(count)
    return stacks


def _name(frame: str) -> str:
    # py-spy frames read "function (path/to/file.py:line)"; keep function and file, drop the line.
    function, _, where = frame.partition(" (")
    file = where.rsplit(":", 1)[0]
    short = "/".join(file.split("/")[-2:])
    return f"{function} ({short})"


def report(path: Path, top: int, match: str | None) -> str:
    stacks = read(path)
    total = sum(stacks.values()) or 1
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for stack, count in stacks.items():
        frames = [_name(frame) for frame in stack.split(";") if frame]
        if match and not any(match in frame for frame in frames):
            continue
        for frame in set(frames):
            inclusive[frame] += count
        if frames:
            own[frames[-1]] += count
    lines = [f"{path}: {total} samples"]
    lines.append(f"-- inclusive (top {top}) --")
    lines += [f"{count * 100 / total:6.1f}%  {frame}" for frame, count in inclusive.most_common(top)]
    lines.append(f"-- self (top {top}) --")
    lines += [f"{count * 100 / total:6.1f}%  {frame}" for frame, count in own.most_common(top)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", help="only stacks holding a frame with this text")
    args = parser.parse_args(argv)
    print(report(args.file, args.top, args.match))


if __name__ == "__main__":
    main()
