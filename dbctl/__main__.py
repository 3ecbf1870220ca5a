"""``python -m dbctl``."""

from dbctl.cli import main

if __name__ == "__main__":
    main()
