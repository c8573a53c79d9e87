"""Portail's benchmark (`make bench`): how to run it and what each figure means is in
bench/run.py."""
