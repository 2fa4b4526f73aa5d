"""Invalid request bodies: a plain 422 naming the fields, never the submitted values (issue 21)."""

from __future__ import annotations

import pytest

from tests.ui.conftest import PASSWORDS


def _post_raw(client, path: str, text: str, **headers: str):
    return client.post(path, content=text.encode(), headers={"Content-Type": "application/json", **headers})


@pytest.mark.parametrize(
    "body, field",
    [
        ('{"name": NaN, "secret": "x"}', "body.name"),
        ('{"name": "olive", "secret": "x", "totp": NaN}', "body.totp"),
        ('{"name": "olive", "secret": Infinity}', "body.secret"),
        ('{"name": "olive", "secret": "x", "extra": -Infinity}', "body.extra"),
    ],
)
def test_non_finite_numbers_before_login_are_a_plain_422(make_client, body, field):
    response = _post_raw(make_client(), "/api/login", body)
    assert response.status_code == 422
    answer = response.json()
    assert answer["error"] == "invalid_request"
    assert field in answer["message"] and field in [problem["field"] for problem in answer["fields"]]
    assert "NaN" not in response.text and "Infinity" not in response.text


def test_the_validation_answer_never_echoes_a_secret(make_client):
    secret = PASSWORDS["olive"] + "-but-far-too-long-" + "x" * 300
    response = make_client().post("/api/login", json={"name": "olive", "secret": secret, "totp": "123456789012345"})
    assert response.status_code == 422
    assert "body.secret (string_too_long)" in response.json()["message"]
    assert secret not in response.text and "123456789012345" not in response.text
    assert "input" not in response.json()["fields"][0]
