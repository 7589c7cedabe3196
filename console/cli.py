"""``python -m console COMMAND``: serve, migrate, accounts, purge, seed, benchmarks, and the
test mailbox of ``make run``.

Accounts exist only through these commands (there is no sign-up page and no default
password); each account change and each purge is written to the audit log under the name
``cli:<operating-system user>`` so the log also shows what was done from a shell.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys

from console import audit, auth, migrate, throttle
from console import purge as purge_mod
from console.config import Settings
from console.db import make_engine

log = logging.getLogger("console")


def _actor() -> str:
    try:
        return "cli:" + getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "cli:unknown"


def _engine(settings: Settings):
    engine = make_engine(settings.db_url)
    migrate.upgrade(engine)
    return engine


def _read_password(args) -> str:
    """--password-stdin, else CONSOLE_NEW_PASSWORD, else asked twice on the terminal."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    from_env = os.environ.get("CONSOLE_NEW_PASSWORD")
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise auth.AccountError(
            "no terminal to ask for the password: use --password-stdin or CONSOLE_NEW_PASSWORD"
        )
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat the password: ") != first:
        raise auth.AccountError("the two passwords differ")
    return first


def cmd_serve(args, settings: Settings) -> int:
    import uvicorn

    from console import sync
    from console.app import create_app

    engine = _engine(settings)
    sync.sync(engine, settings.gap_timeout)
    app = create_app(settings, engine)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        proxy_headers=False,  # console/security.py reads them, from trusted proxies only
        server_header=False,
        access_log=False,
        ws="none",
    )  # no websockets needed; Rasa pins an old websockets package
    return 0


def cmd_migrate(args, settings: Settings) -> int:
    engine = _engine(settings)
    print(f"console tables at revision {migrate.current_revision(engine)}")
    return 0


def cmd_create_user(args, settings: Settings) -> int:
    engine = _engine(settings)
    user = auth.create_user(engine, args.username, args.role, _read_password(args))
    audit.record(
        engine, "create_user", username=_actor(), detail={"user": user.username, "role": user.role}
    )
    print(f"created {user.role} account {user.username!r}")
    return 0


def cmd_set_password(args, settings: Settings) -> int:
    engine = _engine(settings)
    ended = auth.set_password(engine, args.username, _read_password(args))
    audit.record(
        engine,
        "set_password",
        username=_actor(),
        detail={"user": args.username, "sessions_ended": ended},
    )
    print(f"password changed for {args.username!r}; {ended} session(s) ended")
    return 0


def cmd_disable_user(args, settings: Settings) -> int:
    engine = _engine(settings)
    auth.set_disabled(engine, args.username, not args.enable)
    audit.record(
        engine,
        "enable_user" if args.enable else "disable_user",
        username=_actor(),
        detail={"user": args.username},
    )
    print(f"{'enabled' if args.enable else 'disabled'} {args.username!r}")
    return 0


def cmd_unlock_user(args, settings: Settings) -> int:
    engine = _engine(settings)
    cleared = throttle.clear_username(engine, args.username)
    audit.record(engine, "unlock_user", username=_actor(), detail={"user": args.username})
    print(f"cleared the login delays of {args.username!r} ({cleared} address(es))")
    return 0


def cmd_unlock_address(args, settings: Settings) -> int:
    engine = _engine(settings)
    cleared = throttle.clear_address(engine, args.address)
    audit.record(engine, "unlock_address", username=_actor(), detail={"address": args.address})
    print(f"cleared the login delays of address {args.address} ({cleared} counter(s))")
    return 0


def cmd_list_users(args, settings: Settings) -> int:
    for user in auth.list_users(_engine(settings)):
        print(f"{user.username}\t{user.role}\t{'disabled' if user.disabled else 'active'}")
    return 0


def cmd_purge(args, settings: Settings) -> int:
    days = args.older_than_days if args.older_than_days is not None else settings.retention_days
    result = purge_mod.purge(_engine(settings), days, _actor(), dry_run=args.dry_run)
    verb = "would purge" if args.dry_run else "purged"
    print(
        f"{verb} {result.conversations} conversation(s) with no message in the last {days} days"
        + ("" if args.dry_run else f" ({result.events} events)")
    )
    return 0


def cmd_seed(args, settings: Settings) -> int:
    from console import seed

    result = seed.seed(
        _engine(settings),
        args.conversations,
        args.days,
        policy=settings.follow_up,
        zone=settings.timezone,
    )
    print(
        f"seeded {result.conversations} conversations ({result.events} events) "
        f"in {result.seconds:.1f} s"
    )
    return 0


def cmd_bench_dashboard(args, settings: Settings) -> int:
    from console import seed

    print(seed.bench_dashboard(settings, _engine(settings), args.runs).report())
    return 0


def cmd_mailbox(args, settings: Settings | None) -> int:
    from pathlib import Path

    from console import mailbox

    mailbox.serve(Path(args.dir), args.host, args.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m console", description="Nurse review console")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run migrations, then serve the console")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="create or upgrade the console tables").set_defaults(
        func=cmd_migrate
    )

    def with_password(p):
        p.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input",
        )
        return p

    create = with_password(sub.add_parser("create-user", help="create a nurse or admin account"))
    create.add_argument("username")
    create.add_argument("--role", choices=auth.ROLES, required=True)
    create.set_defaults(func=cmd_create_user)

    setpw = with_password(sub.add_parser("set-password", help="set a new password for an account"))
    setpw.add_argument("username")
    setpw.set_defaults(func=cmd_set_password)

    disable = sub.add_parser("disable-user", help="disable an account (ends its sessions)")
    disable.add_argument("username")
    disable.add_argument("--enable", action="store_true", help="enable it again instead")
    disable.set_defaults(func=cmd_disable_user)

    unlock = sub.add_parser(
        "unlock-user", help="clear the login delays of an account, from every address"
    )
    unlock.add_argument("username")
    unlock.set_defaults(func=cmd_unlock_user)

    unlock_ip = sub.add_parser(
        "unlock-address", help="clear the login delays of a client address, for every username"
    )
    unlock_ip.add_argument("address")
    unlock_ip.set_defaults(func=cmd_unlock_address)

    sub.add_parser("list-users", help="list accounts").set_defaults(func=cmd_list_users)

    purge = sub.add_parser("purge", help="delete conversations older than the retention period")
    purge.add_argument(
        "--older-than-days",
        type=int,
        default=None,
        help="default: RETENTION_DAYS from the environment, else 365",
    )
    purge.add_argument("--dry-run", action="store_true", help="only count what would go")
    purge.set_defaults(func=cmd_purge)

    seed = sub.add_parser("seed", help="add synthetic conversations (development, benchmarks)")
    seed.add_argument("--conversations", type=int, default=10_000)
    seed.add_argument("--days", type=int, default=30, help="spread over the last N days")
    seed.set_defaults(func=cmd_seed)

    bench = sub.add_parser("bench-dashboard", help="time /dashboard on this database")
    bench.add_argument("--runs", type=int, default=5)
    bench.set_defaults(func=cmd_bench_dashboard)

    box = sub.add_parser(
        "mailbox",
        help="a local test SMTP server keeping each message as a .eml file (make run only)",
    )
    box.add_argument("--host", default="127.0.0.1")
    box.add_argument("--port", type=int, default=8025)
    box.add_argument("--dir", default="var/mailbox", help="where messages are saved")
    box.set_defaults(func=cmd_mailbox, needs_settings=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = build_parser().parse_args(argv)
    if not getattr(args, "needs_settings", True):  # the mailbox reads no console settings
        return args.func(args, None)
    settings = Settings.from_env()
    try:
        return args.func(args, settings)
    except (auth.AccountError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
