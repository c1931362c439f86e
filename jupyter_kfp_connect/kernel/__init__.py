"""The kernel side: ``kfp_client`` and ``%kfp`` inside an IPython kernel.

The names below are shared by the server (which sets the environment and checks the
secret) and the kernel (which reads them); this module imports nothing, because it runs
on every kernel start.
"""

#: The Jupyter server's own URL (loopback, including its base_url), set by the server.
URL_ENV = "JUPYTER_KFP_CONNECT_URL"
#: A random secret that proves a request comes from one of the server's kernels, and for whom:
#: the person who started the kernel, or the server's owner (see handlers/kernel_identity.py).
SECRET_ENV = "JUPYTER_KFP_CONNECT_SECRET"
#: The request header that carries the secret.
SECRET_HEADER = "X-KFP-Connect-Secret"
#: Where kernel-facing routes live, relative to ``{base_url}kfp-connect/``.
KERNEL_PREFIX = "kernel"
