"""Revisions of a document: what changed between two versions of its Markdown, and the two
documents that show it (the 修改对照表 and the tracked-changes DOCX).

``model`` holds the data (blocks, segments, the aligned comparison), ``blocks`` cuts a Markdown
text into the blocks that are compared, ``textdiff`` compares two texts character by character.
"""
