"""The writers: the document assembler, Markdown tokens to DOCX and to print HTML, the PDF, the
album, table layout, styles and the output self-checks (render never imports the rules)."""
