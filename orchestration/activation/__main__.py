"""``python -m orchestration.activation sync run NAME`` (the same commands as ``cjo``)."""

from orchestration.activation.cli import main

main()
