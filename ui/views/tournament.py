"""Tournament page of the replay app; the page itself is ui.tournament_page."""

from ui.tournament_page import main

main()
