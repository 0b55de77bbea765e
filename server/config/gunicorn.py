"""gunicorn settings shared by the embedded default (scripts/run-embedded.sh), the image and compose.yaml.

Threads (gthread) keep many connections open per worker; the listen backlog takes a burst of
simultaneous connections without resets (Django's runserver queued 5). Every worker loads the
screening model once (`SCREENING_WARMUP`), so workers cost memory: see docs/deployment.md.
Variables: HOST, PORT (or BIND), WEB_WORKERS, WEB_THREADS, WEB_TIMEOUT, WEB_BACKLOG.
"""

import os

# In a container the server must listen on every interface; run-embedded.sh sets HOST=127.0.0.1.
bind = os.environ.get("BIND") or f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "8"))
# A request that runs longer than this (the inference timeout is 30 s) gets its worker restarted.
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
backlog = int(os.environ.get("WEB_BACKLOG", "2048"))
# Never preload: the model warm-up thread starts in each worker, not in the master before the fork.
preload_app = False
accesslog = os.environ.get("WEB_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")
# Behind a load balancer the proxy sets X-Forwarded-Proto; Django reads it via SECURE_PROXY_SSL_HEADER.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
