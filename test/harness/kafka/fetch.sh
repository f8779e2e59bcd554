#!/usr/bin/env bash
# Fetch the Kafka broker's jars (pom.xml beside this file) into .cache/kafka-<version>/libs of the
# checkout, once: later runs find them there. Needs Java 17+ and Maven; Maven Central must answer.
# Prints the libs directory on success.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")"
libs="$root/.cache/kafka-$version/libs"
if [ -f "$libs/.complete" ]; then echo "$libs"; exit 0; fi
command -v java >/dev/null || { echo "fetch.sh: java is not installed (the Kafka broker needs Java 17+)" >&2; exit 1; }
command -v mvn >/dev/null || { echo "fetch.sh: mvn is not installed (it fetches the Kafka jars from Maven Central)" >&2; exit 1; }
rm -rf "$libs" && mkdir -p "$libs"
mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$libs" -DincludeScope=runtime >&2
ls "$libs"/kafka_2.13-*.jar >/dev/null
touch "$libs/.complete"
echo "$libs"
