#!/usr/bin/env bash
# `npm test`: provision what the tests need when we can (Debian packages as root), typecheck and
# lint (a type error fails the run), build the dashboard, then run every test file with node's
# test runner.
#   CI=true   a component that cannot be provided fails its tests (they do not skip)
#   TEST_FILTER=regex   run only the test files whose path matches
set -uo pipefail
cd "$(dirname "$0")/.."

need=()
command -v postfix >/dev/null 2>&1 || [ -x /usr/sbin/postfix ] || need+=(postfix)
command -v swaks >/dev/null 2>&1 || need+=(swaks)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v gpg >/dev/null 2>&1 || need+=(gnupg)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v pflogsumm >/dev/null 2>&1 || need+=(pflogsumm)
# the Kafka broker of the stream tests: Java runs it, Maven fetches its jars (test/harness/kafka/)
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
# a real journal file for the journal reader's test (written from the export format, read by journalctl)
[ -x /lib/systemd/systemd-journal-remote ] || need+=(systemd-journal-remote)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing Debian packages the tests need: ${need[*]}"
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; }; then
      echo "!! could not install ${need[*]}; the tests that need them will fail in CI and skip elsewhere"
    fi
  else
    echo "!! missing ${need[*]} and not root: the tests that need them will skip (and fail with CI=true)"
  fi
fi

if command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; then
  echo "== the Kafka broker's jars (Maven Central, once)"
  test/harness/kafka/fetch.sh >/dev/null || echo "!! could not fetch the Kafka jars; the stream tests will fail in CI and skip elsewhere"
fi

echo "== typecheck and architecture lint"
npm run lint --silent || { echo "!! typecheck or architecture lint failed"; exit 1; }

echo "== building the dashboard"
npm run build --silent || exit 1

mapfile -t files < <(find test -name '*.test.ts' -not -path '*/node_modules/*' | sort | grep -E "${TEST_FILTER:-.}")
if [ ${#files[@]} -eq 0 ]; then echo "no test files match"; exit 1; fi
echo "== running ${#files[@]} test files"
# one file at a time: the embedded engine allows one data directory per process and the
# Postfix end-to-end test wants the machine's attention
exec node --import tsx --test --test-concurrency=1 "${files[@]}"
