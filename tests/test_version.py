import json

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_kfp_connect import __version__


async def test_version_handshake(jp_fetch):
    response = await jp_fetch("kfp-connect", "version")
    assert response.code == 200
    assert json.loads(response.body) == {"version": __version__, "name": "jupyter_kfp_connect"}


async def test_version_requires_authentication(jp_fetch):
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("kfp-connect", "version", headers={"Authorization": "token wrong"})
    assert err.value.code in (401, 403)
