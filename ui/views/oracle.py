"""Oracle page of the replay app; the page itself is ui.oracle_page."""

from ui.oracle_page import main

main()
