"""Ingest jobs on worker machines: a Celery queue on a Redis broker, switched on by NEWSREEL_QUEUE_URL.

    connection.py  the settings, the Redis client and the Celery app
    shelf.py       bundles copied, by content hash, to where every worker can read them
    records.py     job records in Redis: queued, running, done, failed
    jobs.py        enqueue bundles; the task a worker runs for each
"""
