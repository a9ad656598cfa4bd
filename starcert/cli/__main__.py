"""`python -m starcert.cli ...`: the same as the `starcert` console script."""

from starcert.cli.root import main

main()
