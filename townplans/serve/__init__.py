"""``townplans serve``: the live preview and review dashboard, a local web server.

``wire`` speaks HTTP/1.1 on asyncio streams with bounded time-outs and connection caps; ``app``
routes requests to answers; ``policy`` decides what an answer may do in the browser (scripts only
from serve's assets, every workspace file as sandboxed data); ``state`` holds the loaded and
checked workspace and the rendered previews, and updates only what a change affects; ``watch``
runs the watcher thread; ``pages`` renders the dashboard, town, source and preview pages;
``security`` decides which files a URL may name. Standard library (``asyncio``, server-sent
events), jinja2 and watchfiles; nothing else.
"""
