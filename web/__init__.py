"""The web app's views, one module per part of the site; ``app.create_app`` registers them.

Each module has ``register(app)``, which adds its routes under the endpoint
names the templates use with ``url_for``.
"""
