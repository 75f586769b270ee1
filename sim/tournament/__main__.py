"""`python -m sim.tournament SPEC [options]`: run a tournament (see `sim.tournament.command`)."""

from sim.tournament.command import main

if __name__ == "__main__":
    raise SystemExit(main())
