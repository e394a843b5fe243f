"""``townplans serve``: the live preview and review dashboard, a local web server.

``app`` routes requests and writes responses (every one with a Content-Security-Policy);
``state`` holds the loaded and checked workspace and the rendered previews, and updates only what
a change affects; ``watch`` runs the watcher thread; ``pages`` renders the dashboard, town, source
and preview pages; ``security`` decides which files a URL may name. Standard library
(``http.server``, server-sent events), jinja2 and watchfiles; nothing else.
"""
