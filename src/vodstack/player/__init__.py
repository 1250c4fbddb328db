"""The player side of vodstack: adaptive bitrate (ABR) decisions and their trace-driven simulation.

Layering (one way): `simulation` and any live player drive `abr` algorithms; `abr` depends on
nothing but the observations it is fed. `traces` and `video` are plain data readers.
"""
