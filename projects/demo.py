"""Demo deals (filled in below)."""


def add_arguments(parser) -> None:
    parser.add_argument(
        "--opportunities",
        type=int,
        default=0,
        help="Top the deals up to this many with bulk-loaded ones (benchmarks).",
    )


def seed(*, options, stdout) -> None:
    pass
