"""gunicorn's settings for Portail: `gunicorn portail.wsgi -c gunicorn.conf.py`.

Each value can be changed from the environment without editing this file. The defaults
were chosen by measurement (README, "Performance"): on a 2-core machine, with
PostgreSQL on the same machine, `WORKERS` processes of `THREADS` threads each.
"""

from __future__ import annotations

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Processes: one per core serves CPU-bound pages best; more only add memory.
workers = int(os.environ.get("GUNICORN_WORKERS", os.cpu_count() or 2))
# Threads per process: a request waiting on PostgreSQL lets another one run.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A request running longer than this is ended (README, "Operations": the caps keep
# every capped form far under it).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Keep-alive between the reverse proxy and gunicorn (gthread workers honour it).
keepalive = 5
# Errors to stderr (the supervisor's journal); no access log by default: the reverse
# proxy keeps one.
errorlog = "-"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
