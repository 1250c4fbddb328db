"""Helpers shared by tests across directories: waiting, ports, servers in threads, fake clocks.

Test modules import shared helpers from here, never from a conftest module: conftest files hold
only fixtures (pytest loads them by path, and importing them as modules runs them twice).
"""
