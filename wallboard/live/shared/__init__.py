"""One floor for many screens: a collector polls the server once and publishes the floor to
Redis; viewers follow it instead of polling, and send their actions back through it.

- `keys`: where a profile's floor lives in Redis (its own prefix per profile);
- `codec`: a `FloorSnapshot` as bytes and back, and the compact change between two;
- `lock`: the collector's lock, so that a second collector waits as a standby;
- `events`: a live callback (a call rang, was answered, hung up) applied to a snapshot;
- `requests`: actions from viewers to the collector, each sent once, and their outcomes;
- `collector`: the poller that publishes; `viewer`: the floor read back from Redis.
"""
