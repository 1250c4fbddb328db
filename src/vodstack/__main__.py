from vodstack.cli.main import main

main()
