from apexops.cli import main

main()
