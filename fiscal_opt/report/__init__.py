"""What people read: the result folder, the HTML and Markdown pages, charts, the workbook, the terminal."""

WIDTH = 100
"""Columns of terminal output: the printout of ``solve``, the tables of ``compare`` and ``sweep``."""
