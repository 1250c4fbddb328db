"""vodstack: a Netflix-style video-on-demand platform.

Package layering (imports point down only):

    cli, supervisor          start and operate the platform
    gateway, services/*      processes: the public edge and the services that own data
    pipeline, cdn, player    the cold path, the delivery tier, the client side
    clients                  typed HTTP clients for talking to services
    contracts                wire formats shared by a service and its clients
    core                     app factory, errors, metrics, db, HTTP plumbing
    config                   settings and secrets

Services never import each other: they talk HTTP through `clients`.
"""

__version__ = "0.1.0"
