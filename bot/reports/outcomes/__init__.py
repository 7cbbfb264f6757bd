"""The outcomes report: recovery curves per pathway and approach, alert burden, complications.

``reading`` reads a scope of the database into plain rows (``rows``); ``survival``,
``cohort``, ``by_pod`` and ``burden`` compute from those rows alone; ``report`` puts the
sections together, ``small_cells`` hides counts under five for the shown report, and
``figures`` and ``rendering`` turn it into HTML, JSON and CSV.
"""

FORMATS = ("html", "csv", "json")  # what ``eras report outcomes --format`` writes
