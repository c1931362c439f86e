"""The connection to KFP: configuration, detection, credentials, sessions and diagnosis.

Importing this package is cheap (no ``kfp``, no ``kubernetes``); see ``session.Connection``.
"""
