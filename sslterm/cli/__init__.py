"""The command line: ``sslterm [--db PATH] [VERB ...]``.

Without a verb it opens the TUI (imported lazily, so headless verbs never load
textual). Errors are one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Sequence

from sslterm.cli.context import Context
from sslterm.cli.parser import build_parser
from sslterm.core.errors import PasswordError, SslTermError

EXIT_ERROR = 1
EXIT_INTERNAL = 70


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit code."""
    tokens = hoist_db(list(sys.argv[1:] if argv is None else argv))
    args = build_parser(tokens).parse_args(tokens)
    try:
        ctx = Context.from_args(args)
    except SslTermError as exc:
        print(f"sslterm: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    with warnings.catch_warnings():
        # A library's warning (cryptography on an odd certificate, say) is not the user's business and
        # would break a TUI frame or a script's stderr; what matters is reported as findings and errors.
        warnings.simplefilter("ignore")
        return _run(ctx, args)


def entry() -> int:
    """The ``sslterm`` command: :func:`main`, then an exit that does not collect what the process holds."""
    code = main()
    from sslterm.core.heap import kept_until_exit

    kept_until_exit()
    return code


def hoist_db(argv: list[str]) -> list[str]:
    """``--db PATH`` (and ``--db-password-file``) are global options, accepted after the verb too (``sslterm list --db x.db``)."""
    moved: list[str] = []
    rest: list[str] = []
    tokens = iter(argv)
    for token in tokens:
        if token == "--":
            rest += [token, *tokens]
            break
        if token in ("--db", "--db-password-file"):
            moved += [token, next(tokens, "")]
        elif token.startswith(("--db=", "--db-password-file=")):
            moved.append(token)
        else:
            rest.append(token)
    return moved + rest


def _run(ctx: Context, args) -> int:  # type: ignore[no-untyped-def]
    try:
        handler = getattr(args, "handler", None)
        if handler is None:
            from sslterm.tui.launch import run_tui

            return run_tui(ctx.store, ctx.clock, args.check_interval or None)
        return int(handler(ctx, args) or 0)
    except SslTermError as exc:
        hint = " (--password-file FILE)" if isinstance(exc, PasswordError) and str(exc).endswith(("its password", "its passphrase")) else ""
        print(f"sslterm: error: {exc}{hint}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("sslterm: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - last line of defence: one line, no traceback
        if os.environ.get("SSLTERM_DEBUG"):
            raise
        failure = ctx.failure(exc)
        if failure is not None:
            print(f"sslterm: error: {failure}", file=sys.stderr)
            return EXIT_ERROR
        print(f"sslterm: internal error: {type(exc).__name__}: {' '.join(str(exc).split())} (set SSLTERM_DEBUG=1 for details)", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        ctx.close()
