"""Fixtures for the object store tests: a real SeaweedFS for the S3 backend."""

from tests.support.seaweedfs import seaweedfs

__all__ = ["seaweedfs"]
