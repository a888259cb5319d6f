from tests.survey.test_erasure import *  # noqa
from tests.survey.test_erasure import _dump_redis, _maybe_decompress

def test_dbg(portfolio, session, runner):
    runner.invoke(main, ["stakeholder", "erase", portfolio["maria_email"], "--yes"])
    conn = redis.Redis.from_url(portfolio["redis_url"])
    email = portfolio["maria_email"].encode()
    for key in conn.scan_iter("*"):
        kind = conn.type(key)
        if kind == b"hash":
            for f, v in conn.hgetall(key).items():
                if email in v or email in _maybe_decompress(v):
                    print("HIT", key, f)
        elif kind == b"stream":
            for _id, fields in conn.xrange(key):
                for f, v in fields.items():
                    if email in v or email in _maybe_decompress(v):
                        print("HIT", key, f)
