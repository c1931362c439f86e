"""A faithful local stand-in for KFP's v2beta1 API behind a chosen login front.

Used by the demo command and by every test; the extension itself never imports it.
"""

from .server import Sandbox

__all__ = ["Sandbox"]
