"""Workspace -> model: walk ``towns/``, read every file once, collect every load problem.

Loading never raises for a user's mistake. Each problem becomes a TP0xx finding with its location
(path and line), and a broken file in one town never stops the other towns from loading.

Loader codes: TP001 unreadable or missing file, TP002 bad YAML, TP003 not UTF-8, TP004 duplicate
key, TP005 referenced file missing, TP006 town folder missing or unlisted, TP007 unclosed front
matter, TP008 unknown key, TP009 reference outside the workspace or on the network, TP010 bad file
name.
"""

from townplans.load.workspace import load_workspace

__all__ = ["load_workspace"]
