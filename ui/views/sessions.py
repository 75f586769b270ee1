"""Sessions page of the replay app; the page itself is ui.sessions_page."""

from ui.sessions_page import main

main()
