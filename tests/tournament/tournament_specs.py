"""Spec texts shared by the tournament tests."""

SMALL_SPEC = '''
name = "small"
seeds = [0, 1]
[questions]
count = 2
[session]
horizon = 1200
[lineups.baselines]
builtin = "baselines"
[lineups.small]
agents = [
  "lmsr:id=maker,liquidity=10000,cash=500000,interval=30,think=0",
  { kind = "kelly", id = "kelly", schedule = { interval = 45 } },
  "noise:id=noise,interval=30,poisson=true",
  "contrarian:id=contrarian,interval=60",
]
'''
"""Two built-in questions x two baseline lineups x two seeds: 8 short sessions."""
