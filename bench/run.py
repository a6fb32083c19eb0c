"""One command for the whole benchmark: `python -m bench` (see `--help`).

Starts Redis, the Talkturo sandbox (added latency), the Slack fake and the bot (`python -m bot serve`,
pinned to one core), drives it open loop from a load generator pinned to the other core, and reports
ack latency, capacity, time to the summary, cost per sub-command, memory and a bare reference server.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bench.procs import LOOPBACK, Proc
from bench.profile import Recorder
from bench.report import aggregate, render, write_markdown
from bench.stack import ADMIN, Stack
from bench.stats import PhaseResult, capacity, summarize

HERE = Path(__file__).resolve().parent
SHOW_TEXT = 'show "Bench Agent"'
EDIT_TEXT = 'edit "Bench Agent"'
ASSISTANT_NAME = "Bench Agent"
EDIT_VALUES = {"edit.temperature": "0.55"}
ACK_LIMIT_MS = 100.0
EFFECT_LIMIT_MS = 2000.0


@dataclass
class Options:
    quick: bool = False
    duration: float = 4.0
    rates: list[float] = field(default_factory=lambda: [10, 50, 100, 200, 400, 800])
    extra_rates: list[float] = field(
        default_factory=lambda: [1200, 1600, 2400, 3200, 4800, 6400, 9600, 12800]
    )
    latency_ms: float = 100.0
    memory_counts: tuple[int, int] = (2000, 20000)
    memory_rate: float = 400.0
    cost_count: int = 30
    cost_rate: float = 30.0
    modal_rate: float = 50.0
    repeat: int = 1
    scenarios: list[str] = field(
        default_factory=lambda: ["memory", "bare", "help", "show", "modal", "cost", "edit_submit"]
    )
    out: Path = HERE / "results" / "latest.json"
    markdown: Path | None = HERE / "RESULTS.md"
    keep_logs: bool = False
    profile: bool = False
    wait_quiet: float = 20.0
    nice: int = 0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Bench:
    def __init__(self, stack: Stack, options: Options) -> None:
        self.stack = stack
        self.options = options
        self.edit_view: dict[str, Any] | None = None

    # -- one phase: a fixed rate for a fixed count ---------------------------------------------------

    def phase(
        self,
        scenario: str,
        rate: float,
        count: int,
        spec: dict[str, Any],
        *,
        target: Proc | None = None,
        port: int | None = None,
        effect: str | None = None,
        effect_limit_ms: float = EFFECT_LIMIT_MS,
        ack_limit_ms: float = ACK_LIMIT_MS,
        expect_empty: bool | None = None,
        ack_guess_s: float = 0.02,
    ) -> PhaseResult:
        stack = self.stack
        target = target or stack.bot
        stack.check_alive()
        stack.clear_fake()
        phase = {
            **spec,
            "rate": rate,
            "count": count,
            "host": LOOPBACK,
            "port": port or stack.bot_port,
            "connections": int(min(1000, max(32, rate * ack_guess_s * 2))),
        }
        if spec["kind"] == "command":
            phase["response_urls"] = stack.response_urls(count)
        stack.prepare(phase)
        watched = {"target": target, "sandbox": stack.sandbox, "slackfake": stack.fake, "redis": stack.redis}
        recorder = None
        if self.options.profile and scenario != "warmup":
            out = HERE / "results" / "profiles" / f"{scenario.replace(' ', '_')}-{rate:g}.txt"
            recorder = Recorder(stack.procs, stack.other_cpus, target, out)
            time.sleep(0.3)  # attached before the first request
        marks = {name: proc.cpu_mark() for name, proc in watched.items()}
        waited = target.waited_seconds()
        machine = Machine.now(stack)
        slack_before = stack.fake_stats()["counts"]
        gen = stack.go()
        cpu = {name: round(proc.cpu_since(marks[name]), 3) for name, proc in watched.items()}
        cpu["foreign"] = round(machine.foreign_since(stack), 3)
        # Share of the phase the server was ready to run but its core was busy with something else.
        cpu["server_waited"] = round(
            (target.waited_seconds() - waited) / (time.monotonic() - marks["target"].wall), 3
        )
        if recorder is not None:
            recorder.stop()
        cpu["loadgen"] = round(float(gen["cpu"]), 3)
        arrivals = self.wait_effects(effect, gen, effect_limit_ms) if effect else None
        stack.wait_idle(target)
        result = summarize(scenario, rate, gen, cpu, arrivals, effect_limit_ms, expect_empty)
        result.slack_calls = _delta(slack_before, stack.fake_stats()["counts"])
        # All the server's CPU from the first request to idle after the last, per request.
        result.server_cpu_ms = (target.cpu_seconds() - marks["target"].cpu) * 1000 / count
        result.passed = (
            result.errors == 0
            and result.ack_p99 is not None
            and result.ack_p99 <= ack_limit_ms
            and (effect is None or (result.effect_missing == 0 and result.effect_late == 0))
        )
        # A phase shorter than the 20 s passes only if its backlog would not break the limits
        # by then: the median, growing at the pace seen, must stay within them.
        if result.ack_projected is not None and result.ack_projected > ack_limit_ms:
            result.passed = False
            result.notes.append(f"ack backlog growing {result.ack_trend:.0f} ms/s")
        if effect and result.effect_projected is not None and result.effect_projected > effect_limit_ms:
            result.passed = False
            result.notes.append(f"effect backlog growing {result.effect_trend:.0f} ms/s")
        if gen["connect_errors"]:
            result.notes.append(f"{gen['connect_errors']} connections refused")
        log(
            f"{scenario:<12} {rate:>6g}/s  n={count:<6} ack p50={_ms(result.ack_p50)} "
            f"p99={_ms(result.ack_p99)} err={result.errors} "
            f"effect p99={_ms(result.effect_p99)} missing={result.effect_missing} "
            f"cpu bot={cpu['target']:.2f} ({result.server_cpu_ms:.2f} ms/req) gen={cpu['loadgen']:.2f} "
            f"other={cpu['foreign']:.2f} waited={cpu['server_waited']:.2f} "
            f"{'pass' if result.passed else 'FAIL'} {' '.join(result.notes)}"
        )
        return result

    def wait_effects(self, method: str, gen: dict[str, Any], limit_ms: float) -> dict[str, float]:
        """Arrivals at the fake, waited for until all are there or they stop coming after the limit."""
        keys = set(gen["key"])
        last_due = max(gen["due"]) if gen["due"] else time.monotonic()
        found: dict[str, float] = {}
        progress, progress_at = -1, time.monotonic()
        while True:
            found = self.stack.arrivals(method)
            got = len(keys & found.keys())
            now = time.monotonic()
            if got == len(keys):
                break
            if got != progress:
                progress, progress_at = got, now
            if now > last_due + limit_ms / 1000 + 1 and now - progress_at > 1.0:
                break
            if now > last_due + 6:
                break
            time.sleep(0.1)
        return found

    def sweep(
        self,
        scenario: str,
        rates: list[float],
        make: Callable[[float, int], tuple[dict[str, Any], dict[str, Any]]],
        extra_rates: Sequence[float] = (),
        give_up_after: int | None = None,
    ) -> list[PhaseResult]:
        """Every rate in `rates` (or until `give_up_after` rates in a row failed); then `extra_rates`
        while the last one passed."""
        results: list[PhaseResult] = []
        for rate in [*rates, *extra_rates]:
            if rate in extra_rates and results and not results[-1].passed:
                break
            recent = results[-give_up_after:] if give_up_after else []
            if give_up_after and len(recent) == give_up_after and not any(r.passed for r in recent):
                log(f"{scenario}: {give_up_after} rates in a row failed; the higher ones are skipped")
                break
            count = max(1, round(rate * self.options.duration))
            spec, kwargs = make(rate, count)
            results.append(self.phase(scenario, rate, count, spec, **kwargs))
        return results

    # -- scenarios -----------------------------------------------------------------------------------

    def command(self, text: str, prefix: str, key: str = "channel") -> dict[str, Any]:
        return {"kind": "command", "text": text, "user": ADMIN, "channel_prefix": prefix, "key": key}

    def setup(self) -> None:
        stack = self.stack
        stack.connect()
        [[assistant_id, _]] = stack.create_assistants(1, ASSISTANT_NAME)
        posted = stack.fake_stats()["counts"].get("chat.postMessage", 0)
        # `show <id>` once: the bot remembers the name, so `show "Bench Agent"` resolves in Redis.
        stack.send(stack.slack().command(f"show {assistant_id}", user_id=ADMIN, channel_id="CSETUP"))
        stack.wait_posts(posted + 1)
        stack.clear_fake()
        stack.send(stack.slack().command(EDIT_TEXT, user_id=ADMIN, channel_id="CSETUP"))
        self.edit_view = stack.view("talkturo.edit")
        # Warm-up (not reported): connections in every pool, code paths imported.
        for text in ("help", SHOW_TEXT):
            self.phase("warmup", 50, 50, self.command(text, "CWARM"), effect=None)

    def memory(self, rss_start: float) -> dict[str, Any]:
        first, total = self.options.memory_counts
        rate = self.options.memory_rate
        readings: dict[str, Any] = {"start": round(rss_start, 1), "rate": rate, "phases": []}
        for label, count in ((str(first), first), (str(total), total - first)):
            result = self.phase(
                "memory", rate, count, self.command(SHOW_TEXT, f"CM{label}"), effect="chat.postMessage"
            )
            readings["phases"].append(result.to_json())
            self.stack.wait_idle(self.stack.bot)
            readings[label] = round(self.stack.bot.rss_mib(), 1)
            log(f"memory after {label} commands: {readings[label]} MiB")
        readings["growth_pct"] = round((readings[str(total)] / readings[str(first)] - 1) * 100, 1)
        return readings

    def bare(self) -> list[PhaseResult]:
        self.stack.start_bare()
        try:
            bare = self.stack.bare
            assert bare is not None

            def make(rate: float, count: int) -> tuple[dict[str, Any], dict[str, Any]]:
                spec = self.command("help", f"CB{rate:g}x")
                return spec, {"target": bare, "port": self.stack.bare_port, "expect_empty": True}

            return self.sweep("bare", self.options.rates, make, self.options.extra_rates)
        finally:
            self.stack.stop_bare()

    def help(self) -> list[PhaseResult]:
        def make(rate: float, count: int) -> tuple[dict[str, Any], dict[str, Any]]:
            return self.command("help", f"CH{rate:g}x"), {"expect_empty": False}

        return self.sweep("help", self.options.rates, make, self.options.extra_rates)

    def show(self) -> list[PhaseResult]:
        def make(rate: float, count: int) -> tuple[dict[str, Any], dict[str, Any]]:
            spec = self.command(SHOW_TEXT, f"CS{rate:g}x")
            return spec, {"effect": "chat.postMessage", "expect_empty": True}

        return self.sweep("show", self.options.rates, make)

    def modal(self) -> list[PhaseResult]:
        rate = self.options.modal_rate
        count = max(1, round(rate * self.options.duration))
        spec = self.command(EDIT_TEXT, f"CO{rate:g}x", key="trigger_id")
        # Pass/fail here is the target: views.open within 100 ms of the command.
        return [
            self.phase(
                "modal", rate, count, spec, effect="views.open", effect_limit_ms=100, expect_empty=True
            )
        ]

    def edit_submit(self) -> list[PhaseResult]:
        latency_s = self.options.latency_ms / 1000

        def make(rate: float, count: int) -> tuple[dict[str, Any], dict[str, Any]]:
            started = time.monotonic()
            targets = self.stack.create_assistants(count, ASSISTANT_NAME)
            self.stack.wait_idle(self.stack.sandbox)
            log(f"made {count} assistants to edit in {time.monotonic() - started:.1f}s")
            spec = {
                "kind": "view_submission",
                "view": self.edit_view,
                "values": EDIT_VALUES,
                "user": ADMIN,
                "channel_prefix": f"CE{rate:g}x",
                "targets": targets,
            }
            # The ack of a submission waits for GET and PATCH (field errors travel only in it).
            limit = ACK_LIMIT_MS + 2 * self.options.latency_ms
            kwargs = {
                "effect": "chat.postMessage",
                "ack_limit_ms": limit,
                "expect_empty": True,
                "ack_guess_s": 2 * latency_s + 0.05,
            }
            return spec, kwargs

        # Each rate needs fresh assistants; once two rates in a row failed, more only costs time.
        return self.sweep("edit_submit", self.options.rates, make, give_up_after=2)

    # -- cost per sub-command ---------------------------------------------------------------------

    def cost(self) -> list[dict[str, Any]]:
        n, rate = self.options.cost_count, self.options.cost_rate
        cases: list[tuple[str, dict[str, Any], str | None]] = [
            ("help", self.command("help", "CKH"), None),
            ("status", self.command("status", "CKS"), None),
            ("list", self.command("list", "CKL"), None),
            ("show", self.command(SHOW_TEXT, "CKW"), "chat.postMessage"),
            ("numbers", self.command('numbers "Bench Agent"', "CKN"), None),
            ("edit (modal)", self.command(EDIT_TEXT, "CKE", key="trigger_id"), "views.open"),
            ("set", {**self.command("", "CKT"), "texts": _set_texts(n)}, None),
            ("edit submit", {}, "chat.postMessage"),
        ]
        rows = []
        for name, spec, _ in cases:
            if name == "edit submit":
                targets = self.stack.create_assistants(n, ASSISTANT_NAME)
                spec = {
                    "kind": "view_submission",
                    "view": self.edit_view,
                    "values": EDIT_VALUES,
                    "user": ADMIN,
                    "channel_prefix": "CKX",
                    "targets": targets,
                }
            rows.append(self.cost_of(name, spec, n, rate))
        return rows

    def cost_of(self, name: str, spec: dict[str, Any], n: int, rate: float) -> dict[str, Any]:
        stack = self.stack
        stack.wait_idle(stack.bot)
        stack.wait_idle(stack.sandbox)
        before = self.counts()
        result = self.phase(f"cost:{name}", rate, n, spec, ack_limit_ms=10_000, ack_guess_s=0.3)
        time.sleep(0.5)
        stack.wait_idle(stack.bot, window=0.5)
        after = self.counts()
        talkturo = _delta(before["talkturo"], after["talkturo"])
        slack = _delta(before["slack"], after["slack"])
        commands = _delta(before["redis_commands"], after["redis_commands"])
        commands.pop("info", None)
        # Our own INFO is one read event on Redis's side; every other read is the bot's.
        reads = after["redis_reads"] - before["redis_reads"] - 1
        row = {
            "sub_command": name,
            "count": n,
            "errors": result.errors,
            "talkturo_calls": _per(talkturo, n),
            "talkturo_total": round(sum(talkturo.values()) / n, 2),
            "redis_commands": _per(commands, n),
            "redis_commands_total": round(sum(commands.values()) / n, 2),
            "redis_round_trips": round(reads / n, 2),
            "slack_calls": _per(slack, n),
            "slack_total": round(sum(slack.values()) / n, 2),
        }
        log(
            f"cost {name}: talkturo={row['talkturo_total']} redis cmds={row['redis_commands_total']} "
            f"round trips={row['redis_round_trips']} slack={row['slack_calls']}"
        )
        return row

    def counts(self) -> dict[str, Any]:
        info = self.stack.redis_info()
        commands = {
            key.removeprefix("cmdstat_"): int(value["calls"])
            for key, value in info.items()
            if key.startswith("cmdstat_")
        }
        return {
            "talkturo": self.stack.sandbox_calls(),
            "slack": self.stack.fake_stats()["counts"],
            "redis_commands": commands,
            "redis_reads": int(info["total_reads_processed"]),
        }


@dataclass
class Machine:
    """Busy CPU of the whole machine and of our own processes, to tell other work on a shared machine."""

    wall: float
    busy: float
    ours: float

    @classmethod
    def now(cls, stack: Stack) -> Machine:
        t = psutil.cpu_times()
        busy = t.user + t.nice + t.system + t.irq + t.softirq + t.steal
        me = psutil.Process().cpu_times()
        ours = sum(p.cpu_seconds() for p in stack.procs.started) + me.user + me.system
        return cls(time.monotonic(), busy, ours)

    def foreign_since(self, stack: Stack) -> float:
        """Cores used since this reading by processes that are not the benchmark's."""
        later = Machine.now(stack)
        wall = later.wall - self.wall
        other = (later.busy - self.busy) - (later.ours - self.ours)
        return max(0.0, other / wall) if wall > 0 else 0.0


def _set_texts(n: int) -> list[str]:
    return [f'set "Bench Agent" max_tokens={200 + i}' for i in range(n)]


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    keys = set(before) | set(after)
    changed = {key: after.get(key, 0) - before.get(key, 0) for key in keys}
    return {key: value for key, value in sorted(changed.items()) if value}


def _per(counts: dict[str, int], n: int) -> dict[str, float]:
    return {key: round(value / n, 2) for key, value in counts.items()}


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}ms"


def wait_quiet(seconds: float, threshold: float = 0.3) -> float:
    """Wait (at most `seconds`) until other processes use under `threshold` of a core; what they used."""
    deadline = time.monotonic() + seconds
    while True:
        before, wall = psutil.cpu_times(), time.monotonic()
        me = psutil.Process().cpu_times()
        time.sleep(2.0)
        after, me_after = psutil.cpu_times(), psutil.Process().cpu_times()
        busy = sum(getattr(after, f) - getattr(before, f) for f in _BUSY)
        busy -= (me_after.user + me_after.system) - (me.user + me.system)
        other = float(busy) / (time.monotonic() - wall)
        if other < threshold or time.monotonic() > deadline:
            return other
        log(f"the machine is busy with other work ({other:.2f} cores); waiting before the run")


_BUSY = ("user", "nice", "system", "irq", "softirq", "steal")


def run_once(options: Options) -> dict[str, Any]:
    if options.wait_quiet > 0:
        other = wait_quiet(options.wait_quiet)
        log(f"other work on the machine before the run: {other:.2f} cores")
    started = time.monotonic()
    log("starting redis, sandbox, slack fake, bot, generator")
    stack = Stack.start(options.latency_ms, options.nice)
    finished = False
    try:
        rss_start = stack.bot.rss_mib()
        bench = Bench(stack, options)
        bench.setup()
        out: dict[str, Any] = {
            "cores": {"bot": sorted(stack.bot_cpus), "others": sorted(stack.other_cpus)},
            "rss_start_mib": round(rss_start, 1),
            "phases": {},
            "capacity": {},
        }
        wanted = options.scenarios
        if "memory" in wanted:
            out["memory"] = bench.memory(rss_start)
        sweeps: dict[str, Callable[[], list[PhaseResult]]] = {
            "bare": bench.bare,
            "help": bench.help,
            "show": bench.show,
            "modal": bench.modal,
            "edit_submit": bench.edit_submit,
        }
        for name, sweep in sweeps.items():
            if name == "edit_submit" and "cost" in wanted:
                # Before the edit phases fill the registry with thousands of assistants (`list` reads it all).
                out["cost"] = bench.cost()
            if name in wanted:
                results = sweep()
                out["phases"][name] = [r.to_json() for r in results]
                out["capacity"][name] = capacity(results)
        out["seconds"] = round(time.monotonic() - started, 1)
        log(f"run done in {out['seconds']}s")
        finished = True
        return out
    finally:
        if not finished:
            log(f"failed; the processes' logs are in {stack.procs.dir}")
        stack.stop(keep_logs=options.keep_logs or not finished)


def parse(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run: short phases, few rates (~1 min)")
    parser.add_argument("--repeat", type=int, default=1, help="independent runs; the report shows medians")
    parser.add_argument("--duration", type=float, help="seconds per rate (default 5; --quick 1.5)")
    parser.add_argument("--rates", help="comma-separated arrival rates per second")
    parser.add_argument("--latency-ms", type=float, default=100.0, help="added Talkturo latency")
    parser.add_argument("--memory-rate", type=float, help="rate of the memory phase (default 400/s)")
    parser.add_argument(
        "--only", help="comma-separated scenarios: memory,bare,help,show,modal,edit_submit,cost"
    )
    parser.add_argument("--out", type=Path, help="JSON output (default bench/results/latest.json)")
    parser.add_argument("--no-markdown", action="store_true", help="do not rewrite bench/RESULTS.md")
    parser.add_argument("--keep-logs", action="store_true", help="keep the processes' logs")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the bot in every phase (bench/results/profiles/)"
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=20.0,
        help="seconds to wait at most for other processes to calm down before a run (default 20; 0: no)",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=-10 if os.geteuid() == 0 else 0,
        help="priority of every process of the run (default -10 as root, so that other work on a shared "
        "machine takes less from the measured processes; 0 to leave it)",
    )
    args = parser.parse_args(argv)
    options = Options(quick=args.quick, repeat=max(1, args.repeat), latency_ms=args.latency_ms)
    if args.quick:
        options.duration = 1.5
        options.rates = [10, 50, 200]
        options.extra_rates = [800]
        options.memory_counts = (200, 1000)
        options.cost_count = 10
        options.out = HERE / "results" / "quick.json"
        options.markdown = None  # a smoke run never replaces the committed figures
    if args.duration:
        options.duration = args.duration
    if args.rates:
        options.rates = [float(r) for r in args.rates.split(",")]
    if args.memory_rate:
        options.memory_rate = args.memory_rate
    if args.only:
        options.scenarios = [s.strip() for s in args.only.split(",")]
    if args.out:
        options.out = args.out
    if args.no_markdown:
        options.markdown = None
    options.keep_logs = args.keep_logs
    options.profile = args.profile
    options.nice = args.nice
    options.wait_quiet = 0.0 if args.quick else args.wait_quiet
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    started = time.monotonic()
    runs = []
    for index in range(options.repeat):
        if options.repeat > 1:
            log(f"run {index + 1} of {options.repeat}")
        runs.append(run_once(options))
    summary = aggregate(runs, options)
    summary["seconds"] = round(time.monotonic() - started, 1)
    table = render(summary)
    print(table)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps({**summary, "runs": runs, "table": table}, indent=1) + "\n")
    log(f"wrote {options.out}")
    if options.markdown is not None and set(options.scenarios) >= {"bare", "help", "show"}:
        write_markdown(options.markdown, summary, table)
        log(f"wrote {options.markdown}")
    return 0
