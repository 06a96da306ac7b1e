"""``casedesk eval-triage PATH --json [--shots K] [--engine E] [--seed S] [--out DIR]``.

Measures the triage engine on a CLINC150-format data set (see casedesk/support/triage/evaluation.py
and docs/triage.md). Progress goes to stderr, the report to stdout; the report (JSON) and a
precision–coverage plot (PNG) are also written to ``--out`` (default var/eval/).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.support.triage.encoders import EmbeddingsUnavailable
from casedesk.support.triage.engine import ENGINES
from casedesk.support.triage.evaluation import TARGET_OOS_RECALL, DatasetError, run_eval


class Command(BaseCommand):
    help = "Evaluate triage on a CLINC150-format data set: threshold from val, figures from test."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="A JSON file in the CLINC150 format.")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument("--shots", type=int, default=None, help="Build each entry from K train examples.")
        parser.add_argument(
            "--engine", choices=ENGINES, default=None, help="Default: settings.TRIAGE_ENGINE."
        )
        parser.add_argument("--seed", type=int, default=0, help="Seed for drawing the --shots examples.")
        parser.add_argument(
            "--out", type=Path, default=Path("var/eval"), help="Where the report and plot go."
        )
        parser.add_argument(
            "--target-oos-recall",
            type=float,
            default=TARGET_OOS_RECALL,
            help="OOS recall on val that the threshold is chosen to reach (default 0.8).",
        )
        parser.add_argument(
            "--multilingual",
            type=Path,
            default=None,
            metavar="DIR",
            help="Instead: per-language figures on the translated val questions in DIR "
            "(tests/fixtures/triage_multilingual/; docs/triage.md).",
        )
        parser.add_argument(
            "--calibrate-on",
            type=Path,
            default=None,
            metavar="DIR",
            help="With --multilingual: choose the cross-lingual threshold on the non-English "
            "out-of-scope questions of this second translated set "
            "(tests/fixtures/triage_multilingual_select/) instead of on oos_val in English.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")
        parser.add_argument(
            "--no-fine-tune",
            action="store_true",
            help="Embedding engines: use the stock encoder, not one fine-tuned on the entries "
            "(default: settings.TRIAGE_FINE_TUNE, on).",
        )

        parser.add_argument(
            "--oos-train",
            action="store_true",
            help="Learn the data set's oos_train questions as never answered, beside the product's "
            "background lines (off by default: docs/triage.md).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["shots"] is not None and options["shots"] < 1:
            raise CommandError("--shots must be at least 1.")
        engine = options["engine"] or getattr(settings, "TRIAGE_ENGINE", "lexical")
        # Latency is reported per question on one core: keep numeric libraries single-threaded.
        for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(variable, "1")
        if engine in {"embeddings", "combined"}:
            try:
                import torch

                torch.set_num_threads(1)
            except ImportError:
                pass
        progress_factory = None
        if not options["no_progress"]:
            from tqdm import tqdm

            def progress_factory(iterable: Any = None, **kwargs: Any) -> Any:
                return tqdm(iterable, file=sys.stderr, dynamic_ncols=True, **kwargs)

        from threadpoolctl import threadpool_limits

        if options["calibrate_on"] is not None and options["multilingual"] is None:
            raise CommandError("--calibrate-on goes with --multilingual DIR.")
        if options["multilingual"] is not None:
            from casedesk.support.triage.multilingual_eval import run_multilingual_eval

            try:
                with threadpool_limits(limits=1):
                    multilingual = run_multilingual_eval(
                        options["path"],
                        options["multilingual"],
                        engine=engine,
                        target_recall=options["target_oos_recall"],
                        out_dir=options["out"],
                        calibration=options["calibrate_on"],
                    )
            except DatasetError as error:
                raise CommandError(str(error)) from error
            if options["json"]:
                self.stdout.write(json.dumps(multilingual, indent=2))
                return
            for row, before in zip(
                multilingual["with_cross_lingual"], multilingual["english_scorer_only"], strict=True
            ):
                self.stdout.write(
                    f"{row['language']}: in-scope accuracy {row['in_scope_accuracy']:.1%} "
                    f"(English scorer only {before['in_scope_accuracy']:.1%}), OOS recall "
                    f"{row['oos_recall']:.1%} ({before['oos_recall']:.1%}), CPU p99 {row['cpu_ms_p99']} ms"
                )
            return
        try:
            with threadpool_limits(limits=1):
                report = run_eval(
                    options["path"],
                    engine=engine,
                    shots=options["shots"],
                    seed=options["seed"],
                    out_dir=options["out"],
                    target_recall=options["target_oos_recall"],
                    progress_factory=progress_factory,
                    fine_tune=not options["no_fine_tune"],
                    use_oos_train=options["oos_train"],
                )
        except (DatasetError, EmbeddingsUnavailable) as error:
            raise CommandError(str(error)) from error
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
            return
        self.stdout.write(
            f"{report['engine']} ({'full' if not report['shots'] else str(report['shots']) + ' shots'}): "
            f"in-scope accuracy {report['in_scope_accuracy']:.1%}, OOS recall {report['oos_recall']:.1%}, "
            f"answered precision {report['answered_precision']:.1%}, "
            f"AUROC {report['auroc']:.4f}, FPR at 95% TPR {report['fpr_at_95_tpr']:.1%}, "
            f"p50/p99 {report['latency_ms_p50']:.1f}/{report['latency_ms_p99']:.1f} ms, "
            f"fine-tuned {report['fine_tuned']}, "
            f"threshold {report['threshold']}, build {report['build_seconds']} s. Plot: {report['plot']}"
        )
