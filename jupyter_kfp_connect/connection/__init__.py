"""The connection to KFP: configuration, detection, credentials and sessions
(the Problems they raise come from the ``problems`` leaf; the connection check is ``check``).

Importing this package is cheap (no ``kfp``, no ``kubernetes``); see ``session.Connection``.
"""
