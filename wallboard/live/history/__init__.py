"""The history store: what the floor did, kept past the dashboard's exit.

Finished bills and the polled agent states are folded into per-15-minute aggregates per
campaign, per queue and per agent (`store.HistoryStore`), in SQLite by default or in
Postgres for a centre whose floors and collectors share one store (`dialect`). The rules'
windows (abandon rate per campaign over 24 hours and 30 days) and the reports are read from
those aggregates only, never from the vendor server (`windows`, `report`).

A library under `live`: the live model feeds it each cycle and the `report` command reads
it; it imports neither the simulator nor argparse.
"""
