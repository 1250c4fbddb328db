"""The recommendations service: personalized home rows (docs/recommendations.md).

Its own process and data: the `recs` consumer group of the events log records what each
profile watched (completion-weighted), an offline trainer (EASE with recency-weighted
histories, chosen by `vodstack recs evaluate`) precomputes each profile's ranked titles and each
title's neighbours into a SQLite store, and the rows API cuts the home page's rows from them
and from catalog and popularity snapshots, at the viewer's maturity level.
"""
