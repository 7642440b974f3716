"""`hog-test`, the command line: one module per subcommand, each with `register(commands)`.

The command line sits above every other layer (`grammar` <- `hogvm` <- `sampler` <- server and
engines <- `hogtest`), so a subcommand may use any of them; nothing imports `hogtest`.
"""
