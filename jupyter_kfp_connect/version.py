"""The package's version, in a leaf that any module may import.

The package root re-exports it; modules import it from here rather than from the root,
whose entry points import the app (and so would close a loop).
"""

from __future__ import annotations

try:
    from ._version import __version__
except ImportError:  # pragma: no cover - only without a build
    import warnings

    warnings.warn("Importing 'jupyter_kfp_connect' outside a proper installation.", stacklevel=2)
    __version__ = "dev"

__all__ = ["__version__"]
