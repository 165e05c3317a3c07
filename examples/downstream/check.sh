#!/usr/bin/env bash
# Checks guardtrace as a downstream project meets it: installs the build into a private local repository, then
# builds and tests two small backends against the installed artifacts, offline and without any model on disk
# (java/: Maven + JUnit; kotlin/: kotlin-maven-plugin), and prints which libtorch native jar a downstream build
# resolves on each supported platform.
#
#   examples/downstream/check.sh            (about 2-4 minutes; nothing is installed into ~/.m2)
#
# GUARDTRACE_CHECK_REPO: the private repository (default /tmp/guardtrace-downstream-m2), seeded once from
# GUARDTRACE_CHECK_SEED (default ~/.m2/repository) so the downstream builds find JUnit, Kotlin and DJL offline.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
REPO=${GUARDTRACE_CHECK_REPO:-/tmp/guardtrace-downstream-m2}
SEED=${GUARDTRACE_CHECK_SEED:-$HOME/.m2/repository}
VERSION=0.1.0-SNAPSHOT

if [ ! -d "$REPO" ]; then
  echo "== seeding $REPO from $SEED"
  mkdir -p "$REPO" && cp -a "$SEED/." "$REPO/"
fi
rm -rf "$REPO/io/guardtrace"

echo "== mvn install (tests skipped: mvn verify runs them)"
mvn -B -ntp -Dstyle.color=never -q -f "$ROOT/pom.xml" install -DskipTests -Dmaven.repo.local="$REPO"

echo "== installed artifacts"
for a in core image models test; do
  for suffix in "" -sources -javadoc; do
    jar="$REPO/io/guardtrace/guardtrace-$a/$VERSION/guardtrace-$a-$VERSION$suffix.jar"
    test -f "$jar" || { echo "missing $jar"; exit 1; }
    echo "  $(basename "$jar")"
  done
  name=$(unzip -p "$REPO/io/guardtrace/guardtrace-$a/$VERSION/guardtrace-$a-$VERSION.jar" META-INF/MANIFEST.MF \
    | tr -d '\r' | sed -n 's/^Automatic-Module-Name: //p')
  echo "  guardtrace-$a Automatic-Module-Name: ${name:?missing}"
done
test -f "$REPO/io/guardtrace/guardtrace-bom/$VERSION/guardtrace-bom-$VERSION.pom" && echo "  guardtrace-bom-$VERSION.pom"
test ! -e "$REPO/io/guardtrace/guardtrace-examples" || { echo "guardtrace-examples must not be installed"; exit 1; }

for project in java kotlin; do
  echo "== downstream $project project: mvn -o test"
  mvn -B -ntp -Dstyle.color=never -o -f "$ROOT/examples/downstream/$project/pom.xml" -Dmaven.repo.local="$REPO" test \
    | grep -E "Tests run:|BUILD|ERROR"
done

echo "== libtorch native jar a downstream build resolves, per platform"
# The resolution below runs offline (a Maven that believes it runs on macOS or Windows cannot open network
# connections: the JDK then looks for that system's socket classes), so fetch each platform's jar first, with the
# dependency plugin at the version the offline runs name (an unversioned goal takes whatever version the local
# metadata says, 2.8 in one stale repository, whose own dependencies were missing).
for classifier in linux-x86_64 linux-aarch64 osx-aarch64 win-x86_64; do
  mvn -B -ntp -Dstyle.color=never -q -f "$ROOT/pom.xml" -N -Dmaven.repo.local="$REPO" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:get -Dtransitive=false \
    -Dartifact="ai.djl.pytorch:pytorch-native-cpu:2.7.1:jar:$classifier"
done
MAVEN_HOME=$(mvn -v | sed -n 's/^Maven home: //p' | sed 's/\x1b\[[0-9;]*m//g')
CLASSWORLDS=$(ls "$MAVEN_HOME"/boot/plexus-classworlds*.jar)
LAUNCHER_CLASSES="$ROOT/guardtrace-models/target/test-classes"
CONF=$(mktemp)
printf 'main is io.guardtrace.models.platform.ForeignOsMaven from plexus.core\nset maven.conf default ${maven.home}/conf\n[plexus.core]\nload %s\nload ${maven.conf}/logging\noptionally ${maven.home}/lib/ext/*.jar\nload ${maven.home}/lib/*.jar\n' \
  "$LAUNCHER_CLASSES" > "$CONF"
# os.name:os.arch as the JVM reports them there, and the classifier the build must resolve
for case in "Linux:amd64:linux-x86_64" "Linux:aarch64:linux-aarch64" "Mac OS X:aarch64:osx-aarch64" \
    "Windows 11:amd64:win-x86_64" "Mac OS X:x86_64:"; do
  IFS=: read -r os arch expected <<< "$case"
  tree=$(mktemp)
  java -cp "$CLASSWORLDS" -Dclassworlds.conf="$CONF" -Dmaven.home="$MAVEN_HOME" \
    -Dmaven.multiModuleProjectDirectory="$ROOT/examples/downstream/java" \
    -Dguardtrace.foreignOs.name="$os" -Dguardtrace.foreignOs.arch="$arch" \
    org.codehaus.plexus.classworlds.launcher.Launcher -B -ntp -Dstyle.color=never -q -o -f "$ROOT/examples/downstream/java/pom.xml" \
    -Dmaven.repo.local="$REPO" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:tree -Dincludes=ai.djl.pytorch:pytorch-native-cpu -DoutputFile="$tree"
  got=$(grep -o 'ai.djl.pytorch:pytorch-native-cpu:jar:[^:]*' "$tree" | sed 's/.*:jar://' | tr '\n' ' ' | xargs || true)
  rm -f "$tree"
  printf '  %-10s %-8s -> %s\n' "$os" "$arch" "${got:-none}"
  [ "$got" = "$expected" ] || { echo "expected '${expected:-none}'"; exit 1; }
done
rm -f "$CONF"
echo "== downstream check passed"
