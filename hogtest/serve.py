"""`hog-test serve`: PostHog's Taggers API over HTTP, on a database of events and taggers."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from hogtest.errors import EXIT_USAGE, CliError


def register(commands: Any) -> None:
    from taggers_api.settings import DEFAULT_HOST, DEFAULT_PORT, Settings

    defaults = Settings()
    serve = commands.add_parser("serve", help="serve PostHog's Taggers API (taggers, keys, test_hog) over HTTP")
    serve.add_argument("--db", metavar="PATH", help="the database file (default: the embedded default database)")
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})")
    serve.add_argument("--workers", type=int, default=defaults.workers, metavar="N",
                       help=f"processes that run tagger code for test_hog (default {defaults.workers})")
    serve.add_argument("--live-workers", type=int, metavar="N",
                       help="processes that run enabled taggers on captured generations (default: as --workers)")
    serve.add_argument("--queue", type=int, metavar="N",
                       help="test_hog requests that may wait for a busy worker before the server answers 503 "
                            "(default: as many as there are workers)")
    serve.add_argument("--tagger-timeout", type=float, default=defaults.tagger_timeout, metavar="SECONDS",
                       help=f"time limit of a tagger on one event (default {defaults.tagger_timeout:g}, as PostHog)")
    serve.add_argument("--max-body-bytes", type=int, default=defaults.max_body_bytes, metavar="N",
                       help=f"larger request bodies get 413 (default {defaults.max_body_bytes})")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"],
                       help="server log level; 'info' logs every request (default info)")
    serve.set_defaults(handler=cmd_serve)


def cmd_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from taggers_api import Services, Settings, create_app

    if args.workers < 1 or (args.queue is not None and args.queue < 0) or (
            args.live_workers is not None and args.live_workers < 1):
        raise CliError("--workers and --live-workers must be at least 1 and --queue at least 0", EXIT_USAGE)
    if args.tagger_timeout <= 0 or args.max_body_bytes < 1024 or not 0 <= args.port <= 65535:
        raise CliError("--tagger-timeout must be positive, --max-body-bytes at least 1024, --port 0-65535",
                       EXIT_USAGE)
    import logging

    import uvicorn

    handler = logging.StreamHandler(err)  # live tagging's log lines, beside uvicorn's
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
    for name in ("sampler", "taggers_api"):
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(args.log_level.upper())
        logging.getLogger(name).propagate = False

    settings = Settings(db=Path(args.db) if args.db else None, host=args.host, port=args.port,
                        workers=args.workers, queue=args.queue, tagger_timeout=args.tagger_timeout,
                        max_body_bytes=args.max_body_bytes, live_workers=args.live_workers)
    services = Services.open(settings)
    try:
        services.pool.warm_up()
        services.live.pool.warm_up()
        where = services.store.path or "an in-memory database"
        print(f"Taggers API and capture at {settings.base_url} (database {where}, {settings.workers} test_hog "
              f"workers, {settings.live_pool_size} live tagging workers); project tokens: hog-test projects list",
              file=err, flush=True)
        uvicorn.run(create_app(services), host=settings.host, port=settings.port, log_level=args.log_level,
                    access_log=args.log_level in ("debug", "info"), server_header=False)
    finally:
        services.close()
    return 0
