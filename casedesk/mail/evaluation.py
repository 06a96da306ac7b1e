"""Score the reply parser on a JSONL set of cases (``casedesk eval-replies``).

Each line: {"id", "file" (relative to the JSONL's folder), "format": "text"|"eml"|"html",
"expected", "compare": "normalized"|"no_whitespace"}. See docs/email.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casedesk.mail.inbound import extract_body, parse_message
from casedesk.mail.replyparse import extract_reply, extract_reply_from_html


def normalize(text: str) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out).strip()


def no_whitespace(text: str) -> str:
    return re.sub(r"\s+", "", text)


def parse_case(folder: Path, case: dict[str, Any]) -> str:
    path = folder / case["file"]
    if case["format"] == "eml":
        # The same path as inbound mail: text/plain when there is one, else the HTML rules.
        return extract_body(parse_message(path.read_bytes())).text
    text = path.read_bytes().decode("utf-8", errors="replace")
    if case["format"] == "html":
        return extract_reply_from_html(text).text
    return extract_reply(text).text


@dataclass
class EvalReport:
    cases: int = 0
    passed: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return round(self.passed / self.cases, 4) if self.cases else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"cases": self.cases, "passed": self.passed, "rate": self.rate, "failures": self.failures}


def evaluate(jsonl_path: Path) -> EvalReport:
    report = EvalReport()
    folder = jsonl_path.parent
    for line in jsonl_path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        report.cases += 1
        try:
            got = parse_case(folder, case)
        except Exception as error:  # a crash is a failure of that case, not of the run
            got = f"<error: {error!r}>"
        compare = no_whitespace if case.get("compare") == "no_whitespace" else normalize
        if compare(got) == compare(case["expected"]):
            report.passed += 1
        else:
            report.failures.append({"id": case["id"], "expected": case["expected"], "got": got})
    return report
