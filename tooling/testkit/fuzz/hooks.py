"""schemathesis hooks of the fuzz tests (SCHEMATHESIS_HOOKS, set by @flotilla/testkit's fuzz.ts).

- one_error_shape, a check: every error answer, 4xx or 5xx, is JSON in the one shape every
  flotilla service answers with (ErrorBody in packages/service/src/errors.ts), documented
  status or not; schema conformance alone lets an undocumented status through with any body.
  Like ErrorBody it allows more members beside code and message (the OpenAI-compatible
  routes add OpenAI's `type` and `param`): a client reading error.code and error.message
  always finds them.
- NUL bytes: a quarter of the generated bodies, queries and path parameters get a NUL in
  place of one character of one string. Random text reaches U+0000 too rarely for bounded
  runs to meet it, and PostgreSQL refuses it in text: the class of 500 a fuzz run must catch.
"""

import json

import schemathesis
from hypothesis import strategies as st

SHAPE = '{"error":{"code":string,"message":string}}'


@schemathesis.check
def one_error_shape(ctx, response, case):
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    if not content_type.startswith("application/json"):
        raise AssertionError(
            f"{response.status_code} is {content_type or 'untyped'}, not JSON {SHAPE}: "
            f"{response.text_lossy()[:300]!r}"
        )
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError) as error:
        raise AssertionError(f"{response.status_code} body is not JSON ({error})") from None
    error = body.get("error") if isinstance(body, dict) else None
    if not (
        isinstance(error, dict)
        and isinstance(error.get("code"), str)
        and isinstance(error.get("message"), str)
    ):
        shown = json.dumps(body)[:300]
        raise AssertionError(f"{response.status_code} body is not {SHAPE}: {shown}")
    return None


def _strings(value, path=()):
    """Paths to the non-empty strings in a generated value."""
    if isinstance(value, str) and value:
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def _with_nul(value, path, position):
    if not path:
        at = position % len(value)
        return value[:at] + "\x00" + value[at + 1 :]
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _with_nul(value[path[0]], path[1:], position)
    return copy


def _sometimes_nul(value):
    paths = list(_strings(value))
    if not paths:
        return st.just(value)
    injected = st.builds(
        lambda path, position: _with_nul(value, path, position),
        st.sampled_from(paths),
        st.integers(min_value=0, max_value=1 << 16),
    )
    return st.sampled_from([False, False, False, True]).flatmap(
        lambda inject: injected if inject else st.just(value)
    )


@schemathesis.hook
def flatmap_body(ctx, body):
    return _sometimes_nul(body)


@schemathesis.hook
def flatmap_query(ctx, query):
    return _sometimes_nul(query)


@schemathesis.hook
def flatmap_path_parameters(ctx, path_parameters):
    return _sometimes_nul(path_parameters)
