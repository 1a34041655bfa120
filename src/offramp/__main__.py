"""``python -m offramp``: the same as the ``offramp`` command."""

from offramp.cli import main

if __name__ == "__main__":
    main()
