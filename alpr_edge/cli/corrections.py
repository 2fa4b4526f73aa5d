"""`alpr-edge reads correct READ_ID --text ... --state ... --reason ...`: a supervisor corrects a stored read.

Registered under `reads` by `alpr_edge.cli.reads`; the rule lives in
`alpr_edge.store.corrections`.
"""

from __future__ import annotations

from alpr_edge.cli import EXIT_FAILED, EXIT_OK, CliError
from alpr_edge.cli.store_access import add_login_options, login, open_store


def add_correct_parser(actions, common) -> None:
    correct = actions.add_parser("correct", parents=[common], help="correct a stored read's plate text or state (the original is kept)")
    correct.add_argument("read_id", metavar="READ_ID")
    correct.add_argument("--text", help="the plate as it really reads")
    correct.add_argument("--state", help="the plate's real state (two letters)")
    correct.add_argument("--reason", required=True, help="what was wrong and how it was established")
    add_login_options(correct)
    correct.set_defaults(handler=correct_read)


def correct_read(args) -> int:
    from alpr_edge.store.corrections import PERMISSION, CorrectionError
    from alpr_edge.store.corrections import correct_read as correct

    config, store = open_store(args)
    with store:
        user = login(args, store, config, PERMISSION)
        try:
            correction = correct(store, args.read_id, text=args.text, state=args.state, reason=args.reason,
                                 user=user.name, role=user.role)
        except CorrectionError as refusal:
            raise CliError(f"correction refused: {refusal}", EXIT_FAILED) from None
    before, after = correction["from"], correction["to"]
    print(f"{args.read_id}: {before['text']} {before['state'] or '-'} corrected to {after['text']} {after['state'] or '-'}"
          f" (correction {correction['id']}; the original is kept)")
    return EXIT_OK
