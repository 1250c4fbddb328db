"""The platform's services: each a package with `create_app(settings)`, run as its own process."""
