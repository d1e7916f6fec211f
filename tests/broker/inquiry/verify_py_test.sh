#!/usr/bin/env bash
# The inquiry export's verify.py against intact and tampered exports (issue 13): runs the
# InquiryTest cases of broker_tests with verify.py required, so a missing python3-nacl shows as a
# skipped test (exit 77) instead of a quiet pass. Usage: verify_py_test.sh BROKER_TESTS_BINARY
set -u
for py in /usr/bin/python3 python3; do
  if "$py" -c 'import nacl.signing' 2>/dev/null; then
    SAMBAND_REQUIRE_PYNACL=1 exec "$1" --gtest_filter='InquiryTest.*'
  fi
done
echo "verify_py: python3-nacl is not installed (apt-get install python3-nacl; make deps does it); skipped"
exit 77
