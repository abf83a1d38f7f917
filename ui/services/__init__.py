"""Qt-side services: objects that watch the window and the user, not the network."""
