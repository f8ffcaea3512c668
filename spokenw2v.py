from spokenw2v.cli import main

main()
