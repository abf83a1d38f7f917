"""Qt item models over values the core has already loaded (never a query inside ``data()``)."""
