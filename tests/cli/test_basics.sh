# The qaudio binary's top level: help, version, unknown commands and flags.
. tests/cli/lib.sh
expect_exit help 0 "$QAUDIO" --help
expect_grep help_lists_usage 'usage: qaudio COMMAND' "$TMP/out"
expect_exit version 0 "$QAUDIO" --version
expect_grep version_text '^qaudio [0-9]+\.[0-9]+\.[0-9]+' "$TMP/out"
expect_exit no_args 2 "$QAUDIO"
expect_exit unknown_command 2 "$QAUDIO" frobnicate
expect_grep unknown_command_msg "unknown command 'frobnicate'" "$TMP/err"
expect_exit unknown_flag 2 "$QAUDIO" --frobnicate
expect_grep unknown_flag_msg "unknown option '--frobnicate'" "$TMP/err"
finish
