"""Statistics and the markdown report of the notice benchmark.

``docs/PERFORMANCE.md`` keeps a "Notices" section; this module rewrites only the block
between ``<!-- notices:generated:begin -->`` and ``<!-- notices:generated:end -->`` in it,
so the written reading of the numbers around the block survives a new run.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

BEGIN = "<!-- notices:generated:begin -->"
END = "<!-- notices:generated:end -->"
SYSTEM_LABELS = {
    "full": "eoffice (daphne, full app)",
    "full_retry": "eoffice: the rejected, retried once",
    "channels": "bare Channels (group)",
    "channels-loop": "bare Channels (per-user loop)",
    "websockets": "bare websockets",
    "redis": "raw Redis pub/sub",
}
SERVER_PROCESS = {
    "full": "daphne-full",
    "channels": "daphne-channels",
    "channels-loop": "daphne-channels",
    "websockets": "ws-server",
}
SYSTEM_ORDER = ["full", "channels", "channels-loop", "websockets", "redis"]
SCENARIO_LABELS = {
    "one_user": "one user, 3 tabs",
    "dept10": "direction to 10",
    "dept100": "direction to 100",
    "announce": "announcement to all N",
    "burst50": "burst of 50 in 1 s",
}


def pct(values: list[float], p: float) -> float | None:
    """Percentile with linear interpolation (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def stats(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": round(pct(values, 50), 2),
        "p95": round(pct(values, 95), 2),
        "p99": round(pct(values, 99), 2),
        "max": round(max(values), 2),
    }


def stats_ms(seconds: list[float]) -> dict[str, Any]:
    return stats([s * 1000 for s in seconds])


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b <= 0:
        return None
    return round(a / b, 2)


# --- summary ------------------------------------------------------------------------------


def _aggregate(records: list[dict[str, Any]]) -> dict[str, Any]:
    kept = [r for r in records if not r["client_saturated"]]
    client_bound = not kept  # every round saturated the client: shown, marked, as a bound
    if client_bound:
        kept = records
    latencies = [x for r in kept for x in r["latencies_ms"]]
    completions = [c for r in kept for c in r["completion_ms"] if c is not None]
    out = stats(latencies)
    comp = stats(completions)
    out.update(
        {
            "rounds": len(records),
            "rounds_discarded": sum(1 for r in records if r["client_saturated"]),
            "client_bound": client_bound,
            "expected": sum(r["expected"] for r in kept),
            "received": sum(r["received"] for r in kept),
            "missing": sum(r["missing"] for r in kept),
            "late": sum(r["late"] for r in kept),
            "dups": sum(r["dups"] for r in kept),
            "seq_dups": sum(r["seq_dups"] for r in kept),
            "seq_gaps": sum(r["seq_gaps"] for r in kept),
            "unexpected": sum(r["unexpected"] for r in kept),
            "timeouts": sum(1 for r in kept if r["timed_out"]),
            "completion_p50": comp.get("p50"),
            "completion_p95": comp.get("p95"),
            "completion_max": comp.get("max"),
            "client_busy_max": max((r["client_busy"] for r in records), default=None),
            "discarded_missing": sum(r["missing"] for r in records if r["client_saturated"]),
        }
    )
    cpu: dict[str, float] = {}
    for r in kept:
        for name, seconds in r["cpu_s"].items():
            cpu[name] = round(cpu.get(name, 0.0) + seconds, 3)
    out["cpu_s"] = cpu
    delivered = out["received"]
    if delivered:
        name = SERVER_PROCESS.get(records[0]["system"])
        if name and name in cpu:
            out["server_cpu_ms_per_frame"] = round(cpu[name] * 1000 / delivered, 3)
    after = [x for r in kept for x in r.get("after_action_ms", [])]
    if after:
        out["after_action_ms"] = stats(after)
    http = [e["http_ms"] for r in kept for e in r["events"] if "http_ms" in e]
    if http:
        out["http_ms"] = stats(http)
    trig = [e["trigger_ms"] for r in kept for e in r["events"] if "trigger_ms" in e]
    if trig:
        out["trigger_ms"] = {
            k: round(sum(t[k] for t in trig) / len(trig), 1)
            for k in ("stored", "committed_and_pushed", "push_only")
        }
    errors = [e["error"] for r in records for e in r["events"] if "error" in e]
    statuses = [e["http_status"] for r in records for e in r["events"] if "http_status" in e]
    out["http_non_302"] = sum(1 for s in statuses if s != 302)
    if errors:
        out["errors"] = errors[:5]
    return out


def _bound(numerator: dict[str, Any], denominator: dict[str, Any]) -> str:
    """A client-bound figure overstates its latency: the ratio is then only a bound."""
    top, bottom = numerator.get("client_bound"), denominator.get("client_bound")
    if top and bottom:
        return "unknown"
    if bottom:
        return "lower bound"
    if top:
        return "upper bound"
    return ""


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    levels: dict[str, Any] = {}
    for level in result.get("levels", []):
        grouped: dict[str, dict[str, list]] = {}
        for record in level["measurements"]:
            grouped.setdefault(record["scenario"], {}).setdefault(record["system"], []).append(
                record
            )
        scenarios = {
            scenario: {system: _aggregate(recs) for system, recs in systems.items()}
            for scenario, systems in grouped.items()
        }
        ratios = {}
        for scenario, systems in scenarios.items():
            full, ch = systems.get("full", {}), systems.get("channels", {})
            ws = systems.get("websockets", {})
            ratios[scenario] = {
                "full/channels_p95": _ratio(full.get("p95"), ch.get("p95")),
                "full/channels_last_client_p95": _ratio(
                    full.get("completion_p95"), ch.get("completion_p95")
                ),
                "full/channels_bound": _bound(full, ch),
                "channels/websockets_p95": _ratio(ch.get("p95"), ws.get("p95")),
                "channels/websockets_last_client_p95": _ratio(
                    ch.get("completion_p95"), ws.get("completion_p95")
                ),
                "channels/websockets_bound": _bound(ch, ws),
            }
        levels[str(level["n"])] = {"scenarios": scenarios, "ratios": ratios}
    summary = {"levels": levels}
    summary["targets"] = targets(result, levels)
    return summary


def targets(result: dict[str, Any], levels: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for n, level in levels.items():
        one = level["scenarios"].get("one_user", {})
        full, ch = one.get("full", {}), one.get("channels", {})
        if full.get("p95") is not None:
            rows.append(
                {
                    "target": f"notice to one user, p95 ≤ 50 ms (N={n})",
                    "measured": f"{full['p95']} ms",
                    "holds": full["p95"] <= 50 and not full.get("missing"),
                }
            )
            ratio = _ratio(full.get("p95"), ch.get("p95"))
            rows.append(
                {
                    "target": f"one user: full-app/bare-Channels ≤ 1.5 at p95 (N={n})",
                    "measured": f"{ratio} ({full['p95']} / {ch.get('p95')} ms)",
                    "holds": ratio is not None and ratio <= 1.5,
                }
            )
    for n in ("1000", "5000"):
        ann = levels.get(n, {}).get("scenarios", {}).get("announce", {})
        full, ch = ann.get("full", {}), ann.get("channels", {})
        if full:
            ratio = _ratio(full.get("completion_p95"), ch.get("completion_p95"))
            rows.append(
                {
                    "target": f"announcement to {n} as per-user notices: last client ≤ 1.5 x "
                    "bare-Channels broadcast to one group (p95), nothing missing",
                    "measured": f"{ratio} x ({full.get('completion_p95')} / "
                    f"{ch.get('completion_p95')} ms), missing {full.get('missing')}",
                    "holds": ratio is not None
                    and ratio <= 1.5
                    and not full.get("missing")
                    and not full.get("timeouts"),
                }
            )
    for level in result.get("levels", []):
        if level["n"] != 5000:
            continue
        held = level.get("held_after_ramp", {}).get("full")
        per = level["rss"].get("daphne-full", {}).get("kb_per_connection")
        rows.append(
            {
                "target": "5,000 authenticated websockets on one daphne process, ≤ 50 KB RSS each",
                "measured": f"{held} held after the ramp "
                f"({level.get('held_at_end', {}).get('full')} at the end), {per} KB each",
                "holds": bool(held and held >= 5000 and per is not None and per <= 50),
            }
        )
    if not any(level["n"] == 5000 for level in result.get("levels", [])):
        rows.append(
            {
                "target": "5,000 authenticated websockets on one daphne process, ≤ 50 KB RSS each",
                "measured": "not reached in this run (see problems)",
                "holds": False,
            }
        )
    return rows


# --- markdown -----------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        if value >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown(result: dict[str, Any], stem: str) -> str:
    machine = result["machine"]
    versions = machine.get("versions", {})
    lines = [
        f"### Run of {result['date']} (`bench/results/{stem}.json`)",
        "",
        f"- Machine: {machine.get('cpu_model')}, {machine.get('cores')} cores, "
        f"{machine.get('ram_gb')} GB RAM, Linux {machine.get('kernel')}; "
        f"load average {_load(machine.get('loadavg_at_start'))} at the start, "
        f"{_load(machine.get('loadavg_at_end'))} at the end (a shared machine).",
        f"- Python {machine.get('python')}; "
        + ", ".join(f"{k} {v}" for k, v in versions.items())
        + f"; PostgreSQL {machine.get('postgresql')}; {machine.get('redis')}.",
        f"- Duration {result.get('duration_s')} s; levels {result['config']['levels']}, "
        f"{result['config']['rounds']} rounds; product sockets ramped at "
        f"{result['config']['ramp_rate_per_s']:.0f}/s, floor sockets at "
        f"{result['config']['floor_ramp_rate_per_s']:.0f}/s; "
        f"`ulimit -n` {machine.get('nofile', {}).get('soft')}.",
        f"- Setup: {_setup(result.get('setup', {}))}.",
        "- Rounds run (the time budget keeps room for the larger levels' ramps and rounds): "
        + ", ".join(
            f"N={level['n']:,}: {_rounds(level)}"
            + ("" if level.get("complete") else " (cut short)")
            for level in result.get("levels", [])
        )
        + ".",
        "",
    ]
    summary = result.get("summary", {})
    lines += ["#### Connections", ""]
    lines += [
        "| N | system | connected | ramp rate /s | handshake p95 ms | ready p95 ms "
        "| failed | held at end | RSS per connection (new ones) "
        "| server CPU ms per connection |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for level in result.get("levels", []):
        for system in ("full", "full_retry", "channels", "websockets", "redis"):
            ramp = level["ramp"].get(system)
            if not ramp:
                continue
            proc = {
                "full": "daphne-full",
                "full_retry": None,
                "channels": "daphne-channels",
                "websockets": "ws-server",
            }.get(system)
            rss_info = level["rss"].get(proc, {}) if proc else {}
            rss = rss_info.get("kb_per_connection")
            rss_new = rss_info.get("kb_per_new_connection")
            lines.append(
                f"| {level['n']:,} | {SYSTEM_LABELS[system]} | "
                f"{ramp['connected']:,}/{ramp['requested']:,} | "
                f"{_fmt(ramp['rate_achieved_per_s'])} | {_fmt(ramp['open_ms'].get('p95'))} | "
                f"{_fmt(ramp['ready_ms'].get('p95'))} | {ramp['failed']} | "
                f"{_fmt(level.get('held_at_end', {}).get(system, ''))} | "
                f"{_fmt(rss) + ' KB' if rss is not None else '—'}"
                f"{' (' + _fmt(rss_new) + ')' if rss_new is not None else ''} | "
                f"{_fmt(ramp.get('server_cpu_ms_per_connection'))} |"
            )
    lines.append("")
    lines += [
        "RSS per connection = (VmRSS after the ramp - VmRSS after warm-up) / sockets held "
        "(user 0 has three tabs, so N + 2 sockets per system); in brackets, the growth during "
        "this level's ramp divided by the sockets it added. The database holds N users "
        "(plus the leader, a clerk and a warm-up user) at each level.",
        "",
        "#### Latency from request to notice frame, per socket (ms)",
        "",
        "| N | scenario | system | p50 | p95 | p99 | max | last client p50 / max "
        "| received / expected | missing | dup | rounds kept |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, level in summary.get("levels", {}).items():
        for scenario, systems in level["scenarios"].items():
            for system in SYSTEM_ORDER:
                agg = systems.get(system)
                if not agg:
                    continue
                dup = agg["dups"] + agg["seq_dups"]
                kept = agg["rounds"] - agg["rounds_discarded"]
                mark = " †" if agg.get("client_bound") else ""
                lines.append(
                    f"| {int(n):,} | {SCENARIO_LABELS.get(scenario, scenario)} | "
                    f"{SYSTEM_LABELS[system]}{mark} | {_fmt(agg.get('p50'))} | "
                    f"{_fmt(agg.get('p95'))} | "
                    f"{_fmt(agg.get('p99'))} | {_fmt(agg.get('max'))} | "
                    f"{_fmt(agg.get('completion_p50'))} / {_fmt(agg.get('completion_max'))} | "
                    f"{agg['received']:,} / {agg['expected']:,} | {agg['missing']}"
                    f"{' (+' + str(agg['late']) + ' late)' if agg['late'] else ''} | {dup} | "
                    f"{kept}/{agg['rounds']} |"
                )
    lines += [
        "",
        '"Last client" is the time until the last recipient socket of an event had it. '
        "Rounds where the client core was saturated (> 90 %) are discarded (see below); "
        "† = every round of that cell saturated the client, so the figures shown are those "
        "rounds' (an upper bound of the system's own latency: the client was the bottleneck).",
        "",
        "#### Ratios (p95 of per-socket latency; last client p95 in brackets)",
        "",
        "| N | scenario | full-app / bare-Channels | bare-Channels / bare-websockets |",
        "|---|---|---|---|",
    ]
    for n, level in summary.get("levels", {}).items():
        for scenario, r in level["ratios"].items():
            lines.append(
                f"| {int(n):,} | {SCENARIO_LABELS.get(scenario, scenario)} | "
                f"{_fmt(r['full/channels_p95'])} ({_fmt(r['full/channels_last_client_p95'])})"
                f"{_bound_note(r['full/channels_bound'])} | "
                f"{_fmt(r['channels/websockets_p95'])} "
                f"({_fmt(r['channels/websockets_last_client_p95'])})"
                f"{_bound_note(r['channels/websockets_bound'])} |"
            )
    lines += [
        "",
        "#### Where the time goes (product)",
        "",
        "| N | scenario | HTTP response p50 / p95 ms | trigger: stored / committed+pushed ms "
        "| frame after the action p50 / p95 ms "
        "| daphne CPU ms per delivered frame (action included) "
        "| CPU s: daphne / trigger / other (PostgreSQL…) |",
        "|---|---|---|---|---|---|---|",
    ]
    for n, level in summary.get("levels", {}).items():
        for scenario, systems in level["scenarios"].items():
            agg = systems.get("full")
            if not agg:
                continue
            http = agg.get("http_ms", {})
            trig = agg.get("trigger_ms")
            cpu = agg.get("cpu_s", {})
            after = agg.get("after_action_ms", {})
            trig_text = (
                f"{_fmt(trig['stored'])} / {_fmt(trig['committed_and_pushed'])}" if trig else "—"
            )
            lines.append(
                f"| {int(n):,} | {SCENARIO_LABELS.get(scenario, scenario)} | "
                f"{_fmt(http.get('p50'))} / {_fmt(http.get('p95'))} | {trig_text} | "
                f"{_fmt(after.get('p50'))} / {_fmt(after.get('p95'))} | "
                f"{_fmt(agg.get('server_cpu_ms_per_frame'))} | "
                f"{_fmt(cpu.get('daphne-full'))} / {_fmt(cpu.get('trigger'))} / "
                f"{_fmt(cpu.get('other'))} |"
            )
    lines += ["", "#### Floors: server CPU per delivered frame (ms)", ""]
    lines += ["| N | scenario | bare Channels | bare Channels loop | bare websockets |"]
    lines += ["|---|---|---|---|---|"]
    for n, level in summary.get("levels", {}).items():
        for scenario, systems in level["scenarios"].items():
            lines.append(
                f"| {int(n):,} | {SCENARIO_LABELS.get(scenario, scenario)} | "
                f"{_fmt(systems.get('channels', {}).get('server_cpu_ms_per_frame'))} | "
                f"{_fmt(systems.get('channels-loop', {}).get('server_cpu_ms_per_frame'))} | "
                f"{_fmt(systems.get('websockets', {}).get('server_cpu_ms_per_frame'))} |"
            )
    discarded = [
        r
        for level in result.get("levels", [])
        for r in level["measurements"]
        if r["client_saturated"]
    ]
    lines += ["", "#### Client core", ""]
    if discarded:
        lines.append(
            f"{len(discarded)} measurement(s) discarded because the client core was saturated:"
        )
        lines.append("")
        for r in discarded:
            lines.append(
                f"- N={r['level']:,} round {r['round'] + 1} {r['scenario']} on "
                f"{SYSTEM_LABELS[r['system']]}: harness busy {r['client_busy']:.0%} of "
                f"{r['wall_s'] * 1000:.1f} ms (ran {r['client_run_s'] * 1000:.1f} ms, waited "
                f"{r['client_runqueue_wait_s'] * 1000:.1f} ms), core 1 "
                f"{r['core_busy'].get('cpu1', 0):.0%}"
            )
    else:
        lines.append("No measurement was discarded: the client core never exceeded 90 %.")
    lines += [
        "",
        "The client is saturated when the harness (pinned to core 1) was running or runnable "
        "but waiting for the core (behind PostgreSQL or another tenant, which are not pinned) "
        "for more than 90 % of the window from the first trigger to the last receipt "
        "(/proc/thread-self/schedstat). Core 1's total busy share is recorded in the JSON "
        "(`core_busy`) but is not the criterion: PostgreSQL backends working for the "
        "product land on it whenever core 0 is busy.",
    ]
    lines += ["", "#### Targets (issue 5)", "", "| target | measured | holds |", "|---|---|---|"]
    for row in summary.get("targets", []):
        lines.append(f"| {row['target']} | {row['measured']} | {'yes' if row['holds'] else 'NO'} |")
    lines += ["", "#### Problems seen by the harness", ""]
    problems = result.get("problems") or []
    lines += [f"- {p.splitlines()[0][:300]}" for p in problems] or ["- none"]
    logs = result.get("server_logs", {})
    noisy = {k: v for k, v in logs.items() if v.get("warnings") or v.get("errors")}
    for name, info in noisy.items():
        lines.append(
            f"- {name} log: {info['warnings']} warning line(s), {info['errors']} error line(s)"
        )
    if result.get("stray_frames"):
        lines.append(f"- frames matching no event: {result['stray_frames']}")
    lines.append("")
    return "\n".join(lines)


def _bound_note(bound: str) -> str:
    return f" — {bound} †" if bound else ""


def _rounds(level: dict[str, Any]) -> int:
    return len({m["round"] for m in level["measurements"]})


def _load(value: Any) -> str:
    if not value:
        return "?"
    return " / ".join(f"{x:.2f}" for x in value)


def _setup(setup: dict[str, Any]) -> str:
    parts = []
    if "users" in setup:
        parts.append(f"{setup['users']:,} users with sessions")
    if "documents" in setup:
        parts.append(
            f"{setup['documents']} documents submitted to the leader "
            f"({setup.get('ms_per_document')} ms each)"
        )
    if "migrate_s" in setup:
        parts.append(f"migrate {setup['migrate_s']} s")
    return ", ".join(parts) or "failed"


INTRO = """# Performance

Benchmarks of issue 5, run with `make bench` (each part on its own: `make bench-notices`,
…) against PostgreSQL and Redis on 127.0.0.1. Every figure comes with a floor measured in
the same run on the same machine, because the machine is shared and noisy: read the
ratios first, the absolute values second. Raw numbers: `bench/results/`.

"""

SECTION_HEAD = """## Notices

Written by `bench/notices.py` (`make bench-notices`); the generated block below is
rewritten by every run.

"""


def update_performance_doc(path: Path, generated: str, stem: str) -> None:
    block = f"{BEGIN}\n{generated.rstrip()}\n{END}\n"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(INTRO + SECTION_HEAD + block)
        return
    text = path.read_text()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _old, tail = rest.split(END, 1)
        path.write_text(head + block.rstrip("\n") + tail)
        return
    if "## Notices" in text:
        head, rest = text.split("## Notices", 1)
        after = rest.find("\n## ")
        body = rest if after < 0 else rest[:after]
        tail = "" if after < 0 else rest[after:]
        path.write_text(head + "## Notices" + body.rstrip("\n") + "\n\n" + block + tail)
        return
    path.write_text(text.rstrip("\n") + "\n\n" + SECTION_HEAD + block)
