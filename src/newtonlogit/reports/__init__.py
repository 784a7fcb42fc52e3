"""Reports: the summary layout rendered as text, HTML, LaTeX and a DataFrame
(:mod:`.summary`) and the figures of ``nl.plot`` (:mod:`.plot`)."""
