# Test-only programs (built in $(O)/tests/bin, never installed).
TEST_PROGS += tern-test-echo
tern-test-echo_SRCS := tests/services/echo.c
TEST_PROGS += tern-test-qfile
tern-test-qfile_SRCS := tests/services/qfile_make.c
