# Test-only programs (built in $(O)/tests/bin, never installed).
TEST_PROGS += tern-test-echo
tern-test-echo_SRCS := tests/services/echo.c
