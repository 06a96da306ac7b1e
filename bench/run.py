"""``make bench`` / ``python -m bench.run``: casedesk on the prod-local topology, the peer, the ceiling.

Starts ``make prod-local`` on a dedicated database (unless it is already running), seeds its
own data, runs the scenarios with several rounds each (medians reported), runs django-helpdesk
side by side for scenarios 1 and 3, prints tables and writes bench/results/<date>.json with
the hardware and the settings next to every figure. Stops what it started.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bench import hardware, peer, scenarios
from bench import search as search_bench
from bench.prodlocal import ProdLocal
from bench.site import seed_site, setup_django
from bench.stats import format_table, ratio

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CPU_GROUPS = ["web", "worker-1", "worker-2", "postgres", "mailsink", "load_generator"]
ALL = ["post", "live", "thread", "inbound", "triage", "connections", "search", "peer"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--only", default=",".join(ALL), help=f"Comma-separated subset of {','.join(ALL)}.")
    parser.add_argument("--quick", action="store_true", help="Small numbers, one round: a smoke run.")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="Override a scenario setting, e.g. --set live_viewers=500 --set hold_steps=1000,2000.",
    )
    parser.add_argument("--port", type=int, default=8410, help="Port of the prod-local web server.")
    parser.add_argument("--database", default="casedesk_bench")
    parser.add_argument("--reuse", action="store_true", help="Keep the existing bench database.")
    parser.add_argument("--keep-running", action="store_true", help="Leave prod-local running afterwards.")
    parser.add_argument(
        "--dir",
        type=Path,
        default=ROOT / "var" / "bench" / "prod-local",
        help="State folder of the prod-local instance (use var/prod-local with --port 8400 to reuse yours).",
    )
    parser.add_argument("--output", type=Path, default=None)
    return parser.parse_args(argv)


def make_config(args: argparse.Namespace, base_url: str) -> scenarios.Config:
    cfg = scenarios.Config(base_url=base_url)
    if args.quick:
        cfg.rounds = 1
        cfg.post_concurrency = [10, 50]
        cfg.post_seconds = 5
        cfg.hot_case_concurrency = 10
        cfg.thread_sizes = [10, 1000]
        cfg.thread_requests = 5
        cfg.live_viewers = 100
        cfg.live_posts = 8
        cfg.inbound_emails = 30
        cfg.triage_articles = 200
        cfg.triage_questions = 50
        cfg.hold_steps = [200, 500]
        cfg.quick = True
    if args.rounds:
        cfg.rounds = args.rounds
    for item in args.set:
        name, _, raw = item.partition("=")
        current = getattr(cfg, name)
        if isinstance(current, list):
            setattr(cfg, name, [int(v) for v in raw.split(",") if v])
        elif isinstance(current, float):
            setattr(cfg, name, float(raw))
        elif isinstance(current, int) or current is None:
            setattr(cfg, name, int(raw) if raw else None)
        else:
            setattr(cfg, name, raw)
    return cfg


def goal(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "missed")


def _num(value: Any) -> float | None:
    return (
        float(value)
        if isinstance(value, int | float) and not (isinstance(value, float) and math.isnan(value))
        else None
    )


def render(report: dict[str, Any]) -> str:
    out: list[str] = []
    res = report["results"]
    peer_res = res.get("peer", {})
    rows = []
    for row in res.get("post", []):
        if row.get("status") != "ok":
            rows.append(["post", "—", row["status"], *["—"] * 11])
            continue
        theirs = peer_res.get("post", {}).get(str(row["concurrency"]), {}) if row.get("cases", 1) > 1 else {}
        meets = None
        if row["concurrency"] == 50 and row.get("cases", 1) > 1:
            meets = (_num(row["p99_ms"]) or 1e9) < 100 and (_num(row["msgs_per_s"]) or 0) >= 400
        rows.append(
            [
                "post" if row.get("cases", 1) > 1 else "post, one hot case",
                row["concurrency"],
                row["msgs_per_s"],
                row["p50_ms"],
                row["p95_ms"],
                row["p99_ms"],
                row["errors"],
                row["end_to_end_msgs_per_s"],
                row.get("cpu_ms_per_msg_casedesk"),
                row.get("cpu_bound_msgs_per_s"),
                row["share_of_ceiling_pct"],
                theirs.get("msgs_per_s"),
                ratio(_num(row["msgs_per_s"]), _num(theirs.get("msgs_per_s"))),
                goal(meets),
            ]
        )
    if rows:
        out.append("## 1. Post a message (HTTP, client-visible, 2 contacts emailed, live viewers open)\n")
        out.append(
            format_table(
                rows,
                [
                    "scenario",
                    "clients",
                    "msgs/s",
                    "p50 ms",
                    "p95 ms",
                    "p99 ms",
                    "errors",
                    "incl. email drain msgs/s",
                    "casedesk CPU ms/msg",
                    "CPU-bound msgs/s",
                    "% of INSERT ceiling",
                    "helpdesk msgs/s",
                    "casedesk/helpdesk",
                    "goal c=50",
                ],
            )
        )
    breakdown = [
        [
            f"{row['concurrency']} over {row.get('cases')} case(s)",
            *[row.get(f"cpu_ms_per_msg_{k}") for k in CPU_GROUPS],
        ]
        for row in res.get("post", [])
        if row.get("status") == "ok"
    ]
    if breakdown:
        out.append("\nCPU ms per posted message, by process (including the email drain after the load):\n")
        out.append(format_table(breakdown, ["clients", *CPU_GROUPS]))
    rows = []
    for row in res.get("live", []):
        if row.get("status") != "ok":
            rows.append(["live", row["status"], "—", "—", "—", "—", "—", "—", "—"])
            continue
        rows.append(
            [
                "live",
                row["viewers"],
                row["p50_ms"],
                row["p99_ms"],
                row.get("post_p50_ms"),
                row.get("after_response_p50_ms"),
                row.get("after_response_p99_ms"),
                row["delivered_pct"],
                goal((_num(row["p99_ms"]) or 1e9) < 250),
            ]
        )
    if rows:
        out.append("\n## 2. Post to live event\n")
        out.append(
            format_table(
                rows,
                [
                    "scenario",
                    "viewers",
                    "p50 ms",
                    "p99 ms",
                    "POST p50 ms",
                    "after response p50 ms",
                    "after response p99 ms",
                    "delivered %",
                    "goal p99<250",
                ],
            )
        )
    rows = []
    for row in res.get("thread", []):
        if row.get("status") != "ok":
            rows.append([row.get("what"), row.get("messages"), row["status"], "—", "—", "—", "—", "—"])
            continue
        theirs = (
            peer_res.get("thread", {}).get(str(row["messages"]), {}) if row["what"] == "thread page" else {}
        )
        speedup = ratio(_num(theirs.get("p50_ms")), _num(row["p50_ms"]))
        rows.append(
            [
                row["what"],
                row["messages"],
                row["p50_ms"],
                row["p95_ms"],
                row["queries"],
                theirs.get("p50_ms"),
                theirs.get("queries"),
                speedup,
            ]
        )
    if rows:
        out.append("\n## 3. Open a thread (first page)\n")
        out.append(
            format_table(
                rows,
                [
                    "what",
                    "messages",
                    "p50 ms",
                    "p95 ms",
                    "queries",
                    "helpdesk p50 ms",
                    "helpdesk queries",
                    "helpdesk/casedesk time",
                ],
            )
        )
    for key, title, columns in [
        (
            "inbound",
            "4. Inbound email (raw bytes to posted message with attachment stored)",
            [
                "emails",
                "via",
                "emails_per_s",
                "attachments_stored",
                "total_seconds",
                "cpu_ms_per_email_casedesk",
            ],
        ),
        (
            "triage",
            "5. Triage",
            [
                "articles",
                "questions",
                "questions_per_s",
                "p50_ms",
                "p99_ms",
                "first_question_ms_incl_index_build",
            ],
        ),
        (
            "connections",
            "6. Idle live connections on one web worker",
            ["max_held", "tried_up_to", "baseline_rss_mib", "rss_mib_at_max", "kib_per_connection"],
        ),
    ]:
        rows = []
        for row in res.get(key, []):
            if not str(row.get("status", "")).startswith("ok"):
                rows.append([row["status"], *["—"] * (len(columns) - 1)])
            else:
                rows.append([row.get(c) for c in columns])
        if rows:
            out.append(f"\n## {title}\n")
            out.append(format_table(rows, columns))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    started_at = dt.datetime.now(dt.UTC)
    bar = tqdm(total=len(only), desc="bench", file=sys.stderr, unit="scenario")

    def progress(text: str) -> None:
        bar.set_postfix_str(text[:70])
        bar.refresh()

    report: dict[str, Any] = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "machine": hardware.machine_info(),
        "results": {},
    }
    prod = ProdLocal(port=args.port, database=args.database, directory=args.dir)
    progress("starting prod-local")
    prod.ensure_running(reset=not args.reuse)
    env = prod.environment()
    cfg = make_config(args, prod.base_url)
    report["settings"] = {
        "topology": "make prod-local: casedesk web --workers 2 (uvicorn), 2 x casedesk worker, "
        "casedesk smtpd, PostgreSQL + Redis on 127.0.0.1",
        "django_settings": env.get("DJANGO_SETTINGS_MODULE"),
        "database": args.database,
        "config": {k: v for k, v in vars(cfg).items()},
        "load_generator": "bench.loadgen (own process): asyncio HTTP/1.1 keep-alive client, closed loop",
    }
    try:
        setup_django(env)
        progress("seeding")
        site = seed_site(cfg.thread_sizes)
        dsn = env["DATABASE_URL"].replace("postgres://", "postgresql://")
        steps: list[tuple[str, Any]] = [
            (
                "post",
                lambda: scenarios.scenario_post(
                    cfg,
                    site,
                    dsn,
                    prod.mails_sent,
                    progress,
                    {n: prod.pid(n) for n in ("web", "worker-1", "worker-2", "mailsink")},
                    args.database,
                ),
            ),
            ("live", lambda: scenarios.scenario_live(cfg, site, progress)),
            ("thread", lambda: scenarios.scenario_thread(cfg, site, progress)),
            (
                "inbound",
                lambda: scenarios.scenario_inbound(
                    cfg,
                    site,
                    int(env["INBOUND_SMTP_PORT"]) if prod.has_process("smtpd") else None,
                    progress,
                    {n: prod.pid(n) for n in ("smtpd", "worker-1", "worker-2", "web")},
                    args.database,
                ),
            ),
            ("triage", lambda: scenarios.scenario_triage(cfg, site, progress)),
            ("connections", lambda: scenarios.scenario_connections(cfg, site, env, args.port + 2, progress)),
            ("search", lambda: search_bench.scenario_rows(args.quick, ROOT / "var" / "bench" / "s.json")),
        ]
        for name, step in steps:
            if name not in only:
                continue
            load_before = hardware.load_average()
            t0 = time.monotonic()
            try:
                rows = step()
            except Exception as exc:  # one broken scenario must not lose the others' figures
                rows = [
                    {"scenario": name, "status": f"not measured: failed with {type(exc).__name__}: {exc}"}
                ]
            for row in rows:
                row.setdefault("load_average_before", load_before)
                row.setdefault("seconds", round(time.monotonic() - t0, 1))
            report["results"][name] = rows
            bar.update(1)
        if "peer" in only:
            try:
                report["results"]["peer"] = run_peer(cfg, int(env["EMAIL_PORT"]), args, progress)
            except Exception as exc:
                report["results"]["peer"] = {"status": f"not measured: {type(exc).__name__}: {exc}"}
            bar.update(1)
    finally:
        bar.close()
        if prod.started_here and not args.keep_running:
            prod.stop()
    report["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    report["machine"]["load_average_at_end"] = hardware.load_average()
    # Smoke runs go under var/ (not committed); full runs under bench/results/.
    folder = ROOT / "var" / "bench" / "results" if args.quick else RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    output = args.output or folder / f"{started_at:%Y-%m-%dT%H%M%SZ}{'-quick' if args.quick else ''}.json"
    output.write_text(json.dumps(report, indent=2, default=str))
    machine = report["machine"]
    print(f"# casedesk benchmark, {report['started_at']}")
    print(
        f"machine: {machine['nproc']} x {machine['cpu_model']}, {machine['memory_mib']} MiB; "
        f"load average at start {machine['load_average_at_start']}, at end {machine['load_average_at_end']}\n"
    )
    print(render(report))
    for row in report["results"].get("search", []):
        print("\n" + row.get("table", row["status"]))
    print(f"\nJSON: {output}")
    return 0


def run_peer(
    cfg: scenarios.Config, mail_port: int, args: argparse.Namespace, progress: Any
) -> dict[str, Any]:
    progress("peer: installing/preparing django-helpdesk")
    peer.ensure_venv(log=lambda m: sys.stderr.write(f"bench: {m}\n"))
    sizes = [s for s in cfg.thread_sizes if s <= 1000]
    seeded = peer.prepare(sizes, mail_port, reset=not args.reuse)
    server = peer.Server(args.port + 1, mail_port)
    server.start()
    base = f"http://127.0.0.1:{args.port + 1}"
    headers = seeded["headers"]
    result: dict[str, Any] = {
        "version": peer.version(),
        "workers": "2 gunicorn sync workers",
        "post": {},
        "thread": {},
    }
    try:
        for concurrency in cfg.post_concurrency:
            result["post"][str(concurrency)] = scenarios.peer_post(
                base,
                seeded["post_ticket"],
                seeded["post_queue"],
                headers,
                concurrency,
                cfg.post_seconds,
                cfg.rounds,
                progress,
            )
        for size in sizes:
            ticket = seeded["threads"][str(size)]
            requests = cfg.thread_requests if size <= 10 else max(3, cfg.thread_requests // 4)
            result["thread"][str(size)] = scenarios.peer_thread(
                base, ticket, headers, requests, cfg.rounds, progress, f"{size} follow-ups"
            )
            result["thread"][str(size)]["queries"] = scenarios.peer_query_count(
                ticket, peer.python(), peer.SITE, peer._env(mail_port)
            )
        result["thread"]["10000"] = {
            "status": "not run: at about 3 s per 1,000 follow-ups, one view of "
            "10,000 would take over 30 s; 10 and 1,000 are compared"
        }
    finally:
        server.stop()
    return result


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    raise SystemExit(main())
