"""The catalog service: titles, seasons and episodes, genres, search and generated artwork.

Layers, one way: `api` (HTTP) -> `service` (rules, errors) -> `views`, `repository`,
`search`, `artwork`, `genres` -> `models` (tables). `app` wires them to the settings.
"""
