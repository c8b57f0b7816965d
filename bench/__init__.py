"""Benchmarks of the CRM (``make bench`` runs ``bench/run.py``)."""
