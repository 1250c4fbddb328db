"""The delivery tier's control plane: which edge serves whom, and whether it is up.

Steering, health collection and regions live here, apart from the edge server (`cdn/`), because
playback and the gateway use them and must not import the edge server to do so.
"""
