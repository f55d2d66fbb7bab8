"""The composition root: the only place that parses the command line, loads the settings
and wires the client, the live model, the simulator and the screen together."""
