"""The vendor's predictive-outbound API: the code table, the service table, the typed async
client (`wallboard.api.client.WallboardClient`), its models and its errors.

Nothing is imported here, so that the simulator can read the code and service tables without
loading the HTTP client.
"""
