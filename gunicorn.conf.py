"""Production settings for ``gunicorn 'app:create_app()'``, read from the working directory.

Every setting can be changed on the command line or with an environment
variable named below. ``kill -HUP <master pid>`` reloads the code and this
file, starting new workers before the old ones finish their requests.
"""

import os

from web.settings import server_setting

_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)

wsgi_app = "app:create_app()"
bind = server_setting("NEWSREEL_BIND")
# One process per core; threads so that slow media downloads, which mostly
# wait on the network, do not hold up page requests behind them.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", str(_cores)))
threads = int(server_setting("NEWSREEL_THREADS"))
# Browsers fetch a page, its stylesheet and several media ranges on one connection.
keepalive = 5
timeout = 60
graceful_timeout = 30
# Workers run new code after a HUP only when the app is imported in each worker.
preload_app = False

accesslog = server_setting("NEWSREEL_ACCESS_LOG")
errorlog = server_setting("NEWSREEL_ERROR_LOG")
loglevel = server_setting("NEWSREEL_LOG_LEVEL")
# Time taken in microseconds (%(D)s) after the usual combined format.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)s'

# As large as nginx's (large_client_header_buffers 8k in deploy/nginx.conf), so a
# request nginx passes reaches the app, whose own limits (web/headers.py) answer
# with the site's 400 page, not gunicorn's bare one; 8190 is gunicorn's maximum.
limit_request_line = 8190
limit_request_field_size = 8190
# Above the app's MAX_HEADERS (100), so a request with too many headers gets the
# site's 400 page; still a bound on what one request may make a worker hold.
limit_request_fields = 1000
# Only nginx (deploy/proxy.conf) is believed, and only for the scheme it sets:
# no client's X-Forwarded-Ssl / -Protocol, nor a SCRIPT_NAME or PATH_INFO header.
forwarded_allow_ips = server_setting("NEWSREEL_FORWARDED_ALLOW_IPS")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
forwarder_headers = ""
raw_env = ["NEWSREEL_ENV=production"]
