"""Deals: opportunities, processes and stages, the pool, the board, plans."""
