"""`vodstack gameday`: synthetic viewers, a control and an experiment group (as in Netflix's ChAP),
chaos against the experiment's share, and a report that compares the two (docs/chaos.md).

Layers, one way:  run  ->  viewer, chaos_script, scrape  ->  record, plan;  report -> summary.
"""
