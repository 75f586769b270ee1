"""Replay page of the replay app; the page itself is ui.replay_page."""

from ui.replay_page import main

main()
