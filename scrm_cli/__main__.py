from scrm_cli.main import cli

cli(prog_name="scrm")
