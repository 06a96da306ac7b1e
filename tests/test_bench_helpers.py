"""The benchmark's pure helpers (bench/): statistics, parsing, matching. No timing here."""

from __future__ import annotations

import json
import math
import re

import pytest

from bench import loadgen, scenarios, viewers
from bench.prodlocal import parse_env_file
from bench.stats import format_table, latency_summary, median_of_rounds, percentile, ratio


def test_percentile_interpolates_between_ranks() -> None:
    values = [10.0, 20.0, 30.0, 40.0, 50.0]
    assert percentile(values, 0) == 10.0
    assert percentile(values, 50) == 30.0
    assert percentile(values, 100) == 50.0
    assert percentile(values, 25) == 20.0
    assert percentile([1.0, 2.0], 50) == pytest.approx(1.5)


def test_percentile_of_nothing_is_nan_and_out_of_range_is_refused() -> None:
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], 101)


def test_latency_summary_reports_the_usual_percentiles() -> None:
    summary = latency_summary([float(x) for x in range(1, 101)])
    assert summary["n"] == 100
    assert summary["p50"] == pytest.approx(50.5)
    assert summary["p99"] == pytest.approx(99.01)
    assert summary["max"] == 100.0


def test_median_of_rounds_takes_the_median_of_numbers_and_keeps_labels() -> None:
    rounds = [
        {"msgs_per_s": 100.0, "p99_ms": 50.0, "channel": "api", "missing": math.nan},
        {"msgs_per_s": 300.0, "p99_ms": 70.0, "channel": "api", "missing": math.nan},
        {"msgs_per_s": 200.0, "p99_ms": 90.0, "channel": "api", "missing": math.nan},
    ]
    merged = median_of_rounds(rounds)
    assert merged["msgs_per_s"] == 200.0
    assert merged["p99_ms"] == 70.0
    assert merged["channel"] == "api"
    assert math.isnan(merged["missing"])


def test_ratio_is_none_when_either_side_is_missing() -> None:
    assert ratio(400.0, 100.0) == 4.0
    assert ratio(None, 100.0) is None
    assert ratio(400.0, 0.0) is None
    assert ratio(math.nan, 1.0) is None


def test_format_table_aligns_columns_and_shows_missing_values_as_a_dash() -> None:
    table = format_table([["post", 10, 123.456, None]], ["scenario", "clients", "msgs/s", "ratio"])
    lines = table.splitlines()
    assert lines[0].startswith("| scenario")
    assert "123" in lines[2] and "—" in lines[2]
    assert len({len(line) for line in lines}) == 1


def test_prod_local_env_file_is_parsed_into_variables() -> None:
    text = "# comment\nexport DATABASE_URL=postgres://x@127.0.0.1/db\nexport DEBUG=0\n\nSECRET_KEY='abc'\n"
    assert parse_env_file(text) == {
        "DATABASE_URL": "postgres://x@127.0.0.1/db",
        "DEBUG": "0",
        "SECRET_KEY": "abc",
    }


def test_live_frames_are_keyed_by_event_and_message_id_and_control_frames_ignored() -> None:
    pattern = re.compile(r"bench-[A-Za-z0-9]+-\d+")
    frame = json.dumps({"event": "message.created", "payload": {"message": 42, "case": 7}})
    assert viewers.frame_keys(frame, pattern) == {"message.created:42"}
    assert viewers.frame_keys(json.dumps({"event": "subscribed", "payload": {"case": 7}}), pattern) == set()
    assert viewers.frame_keys("<p>bench-p10r0-5</p>", pattern) == {"bench-p10r0-5"}


def test_load_generator_fills_the_nonce_everywhere_and_only_targets_loopback() -> None:
    filled = loadgen._fill({"body": "hi {nonce}", "list": ["{nonce}"], "n": 3}, "bench-1")
    assert filled == {"body": "hi bench-1", "list": ["bench-1"], "n": 3}
    loadgen.check_target("http://127.0.0.1:8410/x")
    with pytest.raises(SystemExit, match="loopback"):
        loadgen.check_target("http://10.0.0.5/x")


def test_api_messages_path_is_found_in_an_openapi_document() -> None:
    spec = {
        "paths": {
            "/api/cases/": {"get": {}},
            "/api/cases/{case_id}/messages": {
                "get": {"operationId": "list"},
                "post": {"operationId": "post"},
            },
        }
    }
    found = scenarios.api_messages_path(spec, "post")
    assert found is not None and found[0] == "/api/cases/{case_id}/messages"
    assert scenarios.fill_path(found[0], 12) == "/api/cases/12/messages"
    assert scenarios.api_messages_path(None, "get") is None


def test_generated_help_articles_are_distinct() -> None:
    articles = scenarios.generate_articles(1000)
    assert len({a["title"] for a in articles}) == 1000
    assert len({a["slug"] for a in articles}) == 1000


def test_the_reply_email_carries_an_attachment() -> None:
    raw = scenarios.build_reply("a@client.test", "reply+abc@reply.test", "Re: brief", "n1")
    assert b"Content-Disposition: attachment" in raw
    assert b"application/pdf" in raw
