"""Estafette's headless core: domain, store, protocols and services, without any screen."""

__version__ = "0.1.0"
