"""What the simulated servers of DSLS and Sentinel RMS share: a seeded workload of people
holding seats (tokens) of features (workload.py) and the transport onto such a server
(transport.py). Each manager's own package renders its status and writes its log."""
