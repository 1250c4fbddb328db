from vodstack.cli.entry import main

main()
