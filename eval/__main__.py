"""The evaluation commands (reports are written under reports/, which git ignores):

    python -m eval vignettes [--bot-url URL]   triage safety on the vignettes, over REST
    python -m eval sealed [--bot-url URL]      the same on the sealed set (eval/sealed/cases.yml)
    python -m eval nlu                         5-fold cross-validation (rasa test nlu) + entities
    python -m eval bench                       speed and memory: this bot, stock Rasa, a Sanic floor
    python -m eval flood                       a patient's p95 while 10 long-message floods run
    python -m eval cluster [--messages N]      N messages for one conversation at once, two Rasa
                                               servers behind HAProxy: stored in sequence?
    python -m eval lock [--lock stock]         the same with the lock and tracker stores alone
    python -m eval failover                    50 patients for 2 minutes through the cluster while
                                               a Rasa server, an action server and PostgreSQL fail
    python -m eval all                         the three, one after the other

See docs/evaluation.md for what each figure means.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("vignettes", help="run the triage vignettes against the bot over REST")
    p.add_argument("--bot-url", help="a running Rasa server (default: start one with start_bot)")
    p.add_argument("--only", nargs="*", help="vignette ids (or id prefixes) to run; not saved")
    p.add_argument("--concurrency", type=int, default=2, help="conversations at once (default 2)")
    p.add_argument("--file", default=None, help="vignettes file (default eval/vignettes.yml)")

    p = sub.add_parser("sealed", help="the sealed cases (never tuned on) against the bot")
    p.add_argument("--bot-url", help="a running Rasa server (default: start one with start_bot)")
    p.add_argument("--concurrency", type=int, default=2, help="conversations at once (default 2)")

    p = sub.add_parser("nlu", help="rasa test nlu with 5-fold cross-validation, and entity P/R")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument(
        "--heldout",
        action="store_true",
        help="only the trained model on the frozen held-out examples (tests/nlu_heldout.yml)",
    )
    p.add_argument(
        "--entities-only",
        action="store_true",
        help="only the entity precision/recall on eval/entity_gold.yml (seconds)",
    )
    p.add_argument(
        "--from-reports",
        action="store_true",
        help="re-read the last cross-validation in reports/nlu instead of running it",
    )

    p = sub.add_parser(
        "bench", help="latency, throughput and memory: project vs stock Rasa vs floor"
    )
    p.add_argument(
        "--concurrency",
        type=int,
        nargs="*",
        default=None,
        help="concurrency levels (default 1 10 50)",
    )
    p.add_argument(
        "--targets", nargs="*", default=None, help="subset of: floor stock project project-postgres"
    )
    p.add_argument(
        "--no-train",
        action="store_true",
        help="use the cached project model (scripts/train.sh) instead of a timed cold training",
    )
    p.add_argument(
        "--quick", action="store_true", help="few conversations (a smoke run, not figures)"
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="rounds at each concurrency, the targets taking turns (default 3; 1 with --quick)",
    )

    p = sub.add_parser("flood", help="a patient's reply time while long-message floods run")
    p.add_argument("--bot-url", help="a running Rasa server (default: start one with start_bot)")
    p.add_argument("--floods", type=int, default=10, help="flooding clients (default 10)")
    p.add_argument("--seconds", type=float, default=30, help="length of the flood phase")

    p = sub.add_parser(
        "cluster", help="N messages for one conversation at once through make cluster's HAProxy"
    )
    p.add_argument("--messages", type=int, default=100)
    p.add_argument(
        "--kill",
        action="store_true",
        help="instead: kill a Rasa server under load; how fast HAProxy takes it out",
    )

    p = sub.add_parser("lock", help="the same through the lock and tracker stores, no Rasa")
    p.add_argument("--messages", type=int, default=100)
    p.add_argument("--lock", choices=["fenced", "stock"], default="fenced")

    p = sub.add_parser(
        "failover",
        help="patients talk to make cluster while a Rasa server, an action server "
        "and PostgreSQL fail (issue 11 item 5)",
    )
    p.add_argument("--patients", type=int, default=50, help="patients at once (default 50)")
    p.add_argument("--seconds", type=float, default=120, help="length of the run (default 120)")
    p.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=(1.0, 3.0),
        metavar=("MIN", "MAX"),
        help="a patient's pause between turns, seconds (default 1 3)",
    )
    p.add_argument(
        "--timeout", type=float, default=20, help="seconds before the one retry (default 20)"
    )
    p.add_argument(
        "--faults",
        nargs="*",
        choices=["rasa-1", "actions-1", "postgresql"],
        default=["rasa-1", "actions-1", "postgresql"],
        help="which faults (default all three; fewer: saved as failover-partial.json)",
    )

    p = sub.add_parser("all", help="vignettes, nlu and bench")
    p.add_argument("--bot-url", help="a running Rasa server for the vignettes")

    args = parser.parse_args(argv)
    if args.command == "vignettes":
        from . import vignettes

        kwargs = {"path": args.file} if args.file else {}
        result = vignettes.evaluate(
            bot_url=args.bot_url,
            only=args.only,
            concurrency=args.concurrency,
            save=not args.only,
            **kwargs,
        )
        return 1 if vignettes.unsafe(result) else 0
    if args.command == "sealed":
        from . import vignettes

        result = vignettes.evaluate(
            bot_url=args.bot_url,
            path=vignettes.SEALED_FILE,
            concurrency=args.concurrency,
            out_dir=vignettes.SEALED_OUT_DIR,
        )
        return 1 if vignettes.unsafe(result) else 0
    if args.command == "nlu":
        from . import nlu

        if args.heldout:
            return nlu.heldout_main()
        return nlu.main(
            folds=args.folds, entities_only=args.entities_only, from_reports=args.from_reports
        )
    if args.command == "bench":
        from . import bench

        return bench.main(
            concurrency=args.concurrency,
            targets=args.targets,
            train=not args.no_train,
            quick=args.quick,
            rounds=args.rounds,
        )
    if args.command == "flood":
        from . import flood

        return flood.main(bot_url=args.bot_url, floods=args.floods, seconds=args.seconds)
    if args.command in ("cluster", "lock"):
        from . import cluster

        return cluster.main(
            args.command,
            args.messages,
            getattr(args, "lock", "fenced"),
            kill=getattr(args, "kill", False),
        )
    if args.command == "failover":
        from . import failover

        return failover.main(
            patients=args.patients,
            seconds=args.seconds,
            think=(args.think[0], args.think[1]),
            timeout=args.timeout,
            faults=tuple(args.faults),
        )
    if args.command == "all":
        from . import bench, nlu, vignettes

        codes = []
        result = vignettes.evaluate(bot_url=args.bot_url)
        codes.append(1 if vignettes.unsafe(result) else 0)
        codes.append(nlu.main())
        codes.append(bench.main())
        return max(codes)
    return 2


if __name__ == "__main__":
    sys.exit(main())
