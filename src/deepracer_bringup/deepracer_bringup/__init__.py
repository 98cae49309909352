"""Starts the stack: the `deepracer` command line, the scenarios the launch files and `deepracer sim up` run, and the loop benchmark."""
